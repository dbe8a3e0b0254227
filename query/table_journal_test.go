package query

import (
	"encoding/json"
	"testing"

	"github.com/vidbench/forensics"
)

func TestFieldsJSON(t *testing.T) {
	f := func(name, value string) forensics.JournalField {
		return forensics.JournalField{Name: name, Value: value}
	}
	tests := []struct {
		name   string
		fields []forensics.JournalField
		want   string
	}{
		{"plain", []forensics.JournalField{f("_COMM", "python3"), f("_UID", "1000")}, `{"_COMM":"python3","_UID":"1000"}`},
		{"repeated, in order", []forensics.JournalField{f("TAG", "a"), f("X", "1"), f("TAG", "b")}, `{"TAG":["a","b"],"X":"1"}`},
		{"not UTF-8: byte values", []forensics.JournalField{f("RAW", "h\xff\x00")}, `{"RAW":[104,255,0]}`},
		{"null and empty", []forensics.JournalField{{Name: "BIG", Null: true}, f("E", "")}, `{"BIG":null,"E":""}`},
		{"escapes", []forensics.JournalField{f("M", "a\"b\\c\nd\te\r\x01\x1b[0m é")}, `{"M":"a\"b\\c\nd\te\r\u0001\u001b[0m é"}`},
		{"repeated mixed", []forensics.JournalField{f("T", "a"), {Name: "T", Null: true}, f("T", "\xfe")}, `{"T":["a",null,[254]]}`},
		{"odd key", []forensics.JournalField{f("K\xff\"", "v")}, "{\"K\uFFFD\\\"\":\"v\"}"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := string(appendFieldsJSON(nil, tt.fields))
			if got != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
			if !json.Valid([]byte(got)) {
				t.Errorf("not valid JSON: %s", got)
			}
		})
	}
}
