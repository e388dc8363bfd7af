package toolmatrix

import (
	"slices"
	"testing"
)

// expected is the product matrix written out independently of the
// implementation's bit sets: for each tool, which kinds may use it.
var expected = map[Tool][]Kind{
	Chat:           {Primary, Secondary, Guest, Customer},
	Video:          {Primary, Secondary, Guest, Customer},
	Annotation:     {Primary, Secondary, Guest},
	Zoom:           {Primary, Secondary, Guest},
	Notes:          {Primary},
	Snapshot:       {Primary, Secondary, Customer},
	LiveText:       {Primary, Secondary, Guest},
	Freeze:         {Primary, Secondary, Guest},
	Record:         {Primary},
	Mic:            {Primary, Secondary, Guest, Customer},
	Invite:         {Primary},
	SessionDetails: {Primary, Secondary, Guest},
	Flash:          {Primary, Secondary, Guest},
	QR:             {Primary, Secondary, Guest},
	Barcode:        {Primary, Secondary, Guest},
}

func TestAllowed(t *testing.T) {
	if len(expected) != len(AllTools) {
		t.Fatalf("expected table covers %d tools, matrix has %d", len(expected), len(AllTools))
	}
	for _, tool := range AllTools {
		for _, kind := range Kinds {
			t.Run(string(kind)+"/"+string(tool), func(t *testing.T) {
				want := slices.Contains(expected[tool], kind)
				if got := Allowed(kind, tool); got != want {
					t.Errorf("Allowed(%s, %s) = %v, want %v", kind, tool, got, want)
				}
			})
		}
	}
}

func TestAllowedUnknown(t *testing.T) {
	cases := []struct {
		name string
		kind Kind
		tool Tool
	}{
		{"unknown kind", Kind("admin"), Chat},
		{"unknown tool", Primary, Tool("teleport")},
		{"empty kind", Kind(""), Chat},
		{"empty tool", Primary, Tool("")},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if Allowed(tc.kind, tc.tool) || Receives(tc.kind, tc.tool) {
				t.Errorf("unknown kind/tool must be refused")
			}
		})
	}
}

func TestReceives(t *testing.T) {
	customerSees := []Tool{Chat, Annotation, Zoom, Freeze, Flash, QR, Barcode, LiveText, Snapshot}
	for _, tool := range AllTools {
		for _, kind := range Kinds {
			t.Run(string(kind)+"/"+string(tool), func(t *testing.T) {
				want := slices.Contains(expected[tool], kind)
				if kind == Customer {
					want = slices.Contains(customerSees, tool)
				}
				if got := Receives(kind, tool); got != want {
					t.Errorf("Receives(%s, %s) = %v, want %v", kind, tool, got, want)
				}
			})
		}
	}
	for _, tool := range []Tool{Notes, Snapshot} {
		if Receives(Guest, tool) {
			t.Errorf("a guest must never receive %s", tool)
		}
	}
}

func TestTools(t *testing.T) {
	cases := []struct {
		kind Kind
		want []Tool
	}{
		{Primary, AllTools},
		{Secondary, []Tool{Chat, Video, Annotation, Zoom, Snapshot, LiveText, Freeze, Mic, SessionDetails, Flash, QR, Barcode}},
		{Guest, []Tool{Chat, Video, Annotation, Zoom, LiveText, Freeze, Mic, SessionDetails, Flash, QR, Barcode}},
		{Customer, []Tool{Chat, Video, Snapshot, Mic}},
		{Kind("nobody"), []Tool{}},
	}
	for _, tc := range cases {
		t.Run(string(tc.kind), func(t *testing.T) {
			got := Tools(tc.kind)
			if !slices.Equal(got, tc.want) {
				t.Errorf("Tools(%s) = %v, want %v", tc.kind, got, tc.want)
			}
			if len(got) > 0 {
				got[0] = Tool("x")
			}
			if !slices.Equal(Tools(tc.kind), tc.want) {
				t.Errorf("Tools must return a fresh slice")
			}
		})
	}
}

func TestRestrict(t *testing.T) {
	cases := []struct {
		name      string
		kind      Kind
		requested []Tool
		want      []Tool
	}{
		{"nil request switches everything off", Guest, nil, []Tool{}},
		{"guest cannot be given notes or snapshot", Guest, []Tool{Chat, Notes, Snapshot, Record, Invite}, []Tool{Chat}},
		{"secondary keeps snapshot, loses record", Secondary, []Tool{Snapshot, Record, Mic}, []Tool{Snapshot, Mic}},
		{"primary may have everything", Primary, AllTools, AllTools},
		{"duplicates and order are normalised", Primary, []Tool{Zoom, Chat, Zoom, Chat}, []Tool{Chat, Zoom}},
		{"unknown tools are dropped", Primary, []Tool{"teleport", Chat}, []Tool{Chat}},
		{"customer stays on the camera side", Customer, []Tool{Annotation, Chat, Video, Mic, Flash}, []Tool{Chat, Video, Mic}},
		{"unknown kind gets nothing", Kind("x"), AllTools, []Tool{}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := Restrict(tc.kind, tc.requested)
			if !slices.Equal(got, tc.want) {
				t.Errorf("Restrict(%s, %v) = %v, want %v", tc.kind, tc.requested, got, tc.want)
			}
			for _, tool := range got {
				if !Allowed(tc.kind, tool) {
					t.Errorf("Restrict gave %s to %s beyond the kind", tool, tc.kind)
				}
			}
		})
	}
}

func TestValid(t *testing.T) {
	for _, tool := range AllTools {
		if !tool.Valid() {
			t.Errorf("%s not valid", tool)
		}
	}
	for _, tool := range MessageTools {
		if !tool.Message() || !tool.Valid() {
			t.Errorf("%s should be a valid message tool", tool)
		}
	}
	for _, tool := range []Tool{Video, Mic, Invite, SessionDetails} {
		if tool.Message() {
			t.Errorf("%s is not a data-channel tool", tool)
		}
	}
	for _, k := range Kinds {
		if !k.Valid() {
			t.Errorf("%s not valid", k)
		}
	}
	if Kind("admin").Valid() || Tool("x").Valid() {
		t.Error("unknown values must be invalid")
	}
	if Customer.Technician() || !Guest.Technician() {
		t.Error("Technician wrong")
	}
}

func TestCustomerOnly(t *testing.T) {
	for _, c := range []struct {
		tool Tool
		step string
		want bool
	}{
		{Snapshot, "take", true},
		{Snapshot, "upload", true},
		{Snapshot, "taken", false},
		{Snapshot, "uploaded", false},
		{Snapshot, "saved", false},
		{Snapshot, "", false},
		{Chat, "take", false},
		{Notes, "upload", false},
	} {
		t.Run(string(c.tool)+"/"+c.step, func(t *testing.T) {
			if got := CustomerOnly(c.tool, c.step); got != c.want {
				t.Errorf("CustomerOnly(%s, %q) = %v, want %v", c.tool, c.step, got, c.want)
			}
		})
	}
}
