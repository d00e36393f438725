package wire

import (
	"bytes"
	"encoding/binary"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"
)

func doc(t testing.TB, v any) []byte {
	b, err := bson.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func msgWithSequence(body []byte, id string, docs ...[]byte) []byte {
	var seq []byte
	seq = append(seq, id...)
	seq = append(seq, 0)
	for _, d := range docs {
		seq = append(seq, d...)
	}
	var b []byte
	b = binary.LittleEndian.AppendUint32(b, 0)
	b = binary.LittleEndian.AppendUint32(b, 7)
	b = binary.LittleEndian.AppendUint32(b, 0)
	b = binary.LittleEndian.AppendUint32(b, uint32(OpMsg))
	b = binary.LittleEndian.AppendUint32(b, 0)
	b = append(b, 0)
	b = append(b, body...)
	b = append(b, 1)
	b = binary.LittleEndian.AppendUint32(b, uint32(4+len(seq)))
	b = append(b, seq...)
	binary.LittleEndian.PutUint32(b, uint32(len(b)))
	return b
}

func TestMsgRoundTrip(t *testing.T) {
	body := doc(t, bson.D{{Key: "insert", Value: "c"}, {Key: "$db", Value: "test"}})
	d1, d2 := doc(t, bson.D{{Key: "_id", Value: 1}}), doc(t, bson.D{{Key: "_id", Value: 2}})
	raw := msgWithSequence(body, "documents", d1, d2)
	m, err := ParseMsg(raw)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(m.Body, body) || len(m.Sequence("documents")) != 2 || m.Header.RequestID != 7 {
		t.Fatalf("parsed %+v", m)
	}
	out := AppendMsg(nil, 9, 7, 0, body)
	m2, err := ParseMsg(out)
	if err != nil || !bytes.Equal(m2.Body, body) || m2.Header.ResponseTo != 7 {
		t.Fatalf("round trip: %v %+v", err, m2)
	}
	got, err := ReadMessage(bytes.NewReader(out), nil)
	if err != nil || !bytes.Equal(got, out) {
		t.Fatalf("read: %v", err)
	}
	rb, err := ReplyBody(AppendReply(nil, 1, 2, body))
	if err != nil || !bytes.Equal(rb, body) {
		t.Fatalf("reply body: %v", err)
	}
}

func TestQuery(t *testing.T) {
	q := doc(t, bson.D{{Key: "isMaster", Value: 1}})
	var b []byte
	b = binary.LittleEndian.AppendUint32(b, 0)
	b = binary.LittleEndian.AppendUint32(b, 3)
	b = binary.LittleEndian.AppendUint32(b, 0)
	b = binary.LittleEndian.AppendUint32(b, uint32(OpQuery))
	b = binary.LittleEndian.AppendUint32(b, uint32(QuerySecondaryOk))
	b = append(b, "admin.$cmd\x00"...)
	b = binary.LittleEndian.AppendUint32(b, 0)
	b = binary.LittleEndian.AppendUint32(b, 0xffffffff)
	b = append(b, q...)
	binary.LittleEndian.PutUint32(b, uint32(len(b)))
	p, err := ParseQuery(b)
	if err != nil || p.Collection != "admin.$cmd" || !bytes.Equal(p.Query, q) || p.Flags&QuerySecondaryOk == 0 {
		t.Fatalf("%v %+v", err, p)
	}
}

// FuzzParse feeds arbitrary bytes to every parser: none may panic, and a
// parsed OP_MSG's slices must lie inside the message.
func FuzzParse(f *testing.F) {
	body := doc(f, bson.D{{Key: "ping", Value: 1}})
	f.Add(AppendMsg(nil, 1, 0, 0, body))
	f.Add(msgWithSequence(body, "documents", body, body))
	f.Add(AppendReply(nil, 1, 2, body))
	f.Fuzz(func(t *testing.T, b []byte) {
		if m, err := ParseMsg(b); err == nil {
			if len(m.Body) < 5 || len(m.Body) > len(b) {
				t.Fatalf("body outside message")
			}
			for _, s := range m.Sequences {
				for _, d := range s.Docs {
					if len(d) < 5 {
						t.Fatalf("short doc in sequence")
					}
				}
			}
		}
		_, _ = ParseQuery(b)
		_, _ = ReplyBody(b)
		_, _ = ParseHeader(b)
		_, _ = ReadMessage(bytes.NewReader(b), nil)
	})
}
