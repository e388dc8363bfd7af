package toolmatrix

import "testing"

func TestAnswers(t *testing.T) {
	answered := map[Tool]bool{Zoom: true, Freeze: true, Flash: true}
	for _, tool := range AllTools {
		for _, kind := range Kinds {
			want := kind == Customer && answered[tool]
			if got := Answers(kind, tool); got != want {
				t.Errorf("Answers(%s, %s) = %v, want %v", kind, tool, got, want)
			}
		}
	}
	// What the customer answers, the technicians who may command it receive.
	for tool := range answered {
		for _, k := range []Kind{Primary, Secondary, Guest} {
			if Allowed(k, tool) && !Receives(k, tool) {
				t.Errorf("%s may use %s but would not receive the customer's answer", k, tool)
			}
		}
	}
	if Answers(Kind("x"), Zoom) || Answers(Customer, Tool("teleport")) {
		t.Error("unknown kind or tool answers")
	}
}
