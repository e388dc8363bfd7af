package proto

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

func TestDecodeCamera(t *testing.T) {
	pts := func(n int) string { return "[" + strings.TrimSuffix(strings.Repeat("[0.5,0.25],", n), ",") + "]" }
	cases := []struct {
		name, msg  string
		ok, answer bool
	}{
		{"arrow", `{"tool":"annotation","op":"add","shape":{"id":"a","type":"arrow","points":[[0,0],[1,1]]}}`, true, false},
		{"freehand at the bound", `{"tool":"annotation","op":"add","shape":{"id":"a","type":"freehand","points":` + pts(MaxShapePoints) + `}}`, true, false},
		{"freehand over it", `{"tool":"annotation","op":"add","shape":{"id":"a","type":"freehand","points":` + pts(MaxShapePoints+1) + `}}`, false, false},
		{"freehand of one point", `{"tool":"annotation","op":"add","shape":{"id":"a","type":"freehand","points":` + pts(1) + `}}`, false, false},
		{"coordinate over 1", `{"tool":"annotation","op":"add","shape":{"id":"a","type":"arrow","points":[[0,0],[1.01,1]]}}`, false, false},
		{"coordinate as text", `{"tool":"annotation","op":"add","shape":{"id":"a","type":"arrow","points":[[0,0],["1",1]]}}`, false, false},
		{"text", `{"tool":"annotation","op":"add","shape":{"id":"a","type":"text","points":[[0.2,0.2]],"text":"Ventil"}}`, true, false},
		{"text with newline", `{"tool":"annotation","op":"add","shape":{"id":"a","type":"text","points":[[0.2,0.2]],"text":"a\nb"}}`, false, false},
		{"text too long", `{"tool":"annotation","op":"add","shape":{"id":"a","type":"text","points":[[0.2,0.2]],"text":"` + strings.Repeat("x", MaxShapeText+1) + `"}}`, false, false},
		{"empty text", `{"tool":"annotation","op":"add","shape":{"id":"a","type":"text","points":[[0.2,0.2]]}}`, false, false},
		{"text on an arrow", `{"tool":"annotation","op":"add","shape":{"id":"a","type":"arrow","points":[[0,0],[1,1]],"text":"x"}}`, false, false},
		{"no shape", `{"tool":"annotation","op":"add"}`, false, false},
		{"undo", `{"tool":"annotation","op":"undo","shapeId":"a"}`, true, false},
		{"clear", `{"tool":"annotation","op":"clear"}`, true, false},
		{"no op", `{"tool":"annotation","points":[[1,2]]}`, false, false},
		{"freeze request", `{"tool":"freeze","op":"request"}`, true, false},
		{"still", `{"tool":"freeze","op":"begin","frame":"f1","size":9217,"chunks":2,"width":640,"height":480}`, true, true},
		{"still with wrong chunks", `{"tool":"freeze","op":"begin","frame":"f1","size":9217,"chunks":1,"width":640,"height":480}`, false, true},
		{"still too large", `{"tool":"freeze","op":"begin","frame":"f1","size":999999,"chunks":109,"width":640,"height":480}`, false, true},
		{"still called live", `{"tool":"freeze","op":"begin","frame":"live","size":10,"chunks":1,"width":640,"height":480}`, false, true},
		{"chunk", `{"tool":"freeze","op":"chunk","frame":"f1","seq":0,"data":"/9j/"}`, true, true},
		{"chunk not base64", `{"tool":"freeze","op":"chunk","frame":"f1","seq":0,"data":"**"}`, false, true},
		{"chunk without seq", `{"tool":"freeze","op":"chunk","frame":"f1","data":"/9j/"}`, false, true},
		{"zoom", `{"tool":"zoom","op":"set","level":2.5,"x":0.1,"y":0.9}`, true, false},
		{"zoom too far", `{"tool":"zoom","op":"set","level":11,"x":0.1,"y":0.9}`, false, false},
		{"zoom without centre", `{"tool":"zoom","op":"set","level":2}`, false, false},
		{"zoom applied", `{"tool":"zoom","op":"applied","mode":"digital","level":2,"x":0.5,"y":0.5}`, true, true},
		{"zoom applied how", `{"tool":"zoom","op":"applied","mode":"magic","level":2,"x":0.5,"y":0.5}`, false, true},
		{"flash", `{"tool":"flash","op":"set","state":"on"}`, true, false},
		{"flash state", `{"tool":"flash","op":"set","state":"bright"}`, false, false},
		{"flash result", `{"tool":"flash","op":"result","state":"on","ok":false,"reason":"unsupported","to":"p1"}`, true, true},
		{"flash result reason", `{"tool":"flash","op":"result","state":"on","ok":false,"reason":"<b>"}`, false, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m, err := DecodeTool([]byte(tc.msg))
			if err != nil {
				t.Fatal(err)
			}
			op, err := DecodeCamera(&m)
			if tc.ok != (err == nil) {
				t.Fatalf("err = %v, want ok %v", err, tc.ok)
			}
			if err != nil {
				if !errors.Is(err, ErrMalformed) {
					t.Errorf("error %v is not ErrMalformed", err)
				}
				return
			}
			if op.Answer != tc.answer {
				t.Errorf("answer = %v", op.Answer)
			}
		})
	}
}

func TestDecodeCameraKeepsOnlyCheckedFields(t *testing.T) {
	m, err := DecodeTool([]byte(`{"tool":"annotation","id":"x","op":"add","html":"<img>","shape":{"id":"a","type":"arrow","points":[[0,0],[1,1]],"author":"someone","color":"red","onload":"x"}}`))
	if err != nil {
		t.Fatal(err)
	}
	op, err := DecodeCamera(&m)
	if err != nil {
		t.Fatal(err)
	}
	if op.Shape.Author != "" || op.Shape.Color != "" {
		t.Errorf("client's author or colour kept: %+v", op.Shape)
	}
	op.Shape.Author, op.Shape.Color = "p1", Palette[0]
	m.SetShape(*op.Shape)
	out, _ := m.Forward(Participant{ID: "p1", Kind: "primary"})
	var got map[string]any
	_ = json.Unmarshal(out, &got)
	if _, ok := got["html"]; ok {
		t.Errorf("unchecked field forwarded: %s", out)
	}
	shape := got["shape"].(map[string]any)
	if _, ok := shape["onload"]; ok || shape["author"] != "p1" || shape["color"] != Palette[0] {
		t.Errorf("forwarded shape %v", shape)
	}
}
