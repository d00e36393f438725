// Package wire reads and writes MongoDB wire-protocol messages: the 16-byte
// header, OP_MSG (flag bits, a kind-0 body and kind-1 document sequences),
// the legacy OP_QUERY a driver's first handshake may use, and OP_REPLY.
//
// It only frames and slices; documents stay as raw BSON so that a message
// that needs no change can be forwarded byte for byte.
package wire

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// Op codes.
const (
	OpReply      int32 = 1
	OpQuery      int32 = 2004
	OpCompressed int32 = 2012
	OpMsg        int32 = 2013
)

// OP_MSG flag bits.
const (
	FlagChecksumPresent uint32 = 1 << 0
	FlagMoreToCome      uint32 = 1 << 1
	FlagExhaustAllowed  uint32 = 1 << 16
)

// OP_QUERY flag bit letting a secondary answer.
const QuerySecondaryOk int32 = 1 << 2

// HeaderLen is the length of a message header.
const HeaderLen = 16

// MaxMessageSize is mongod's maxMessageSizeBytes.
const MaxMessageSize = 48_000_000

// Header is a message header.
type Header struct {
	Length, RequestID, ResponseTo, OpCode int32
}

// ParseHeader reads the header at the start of b.
func ParseHeader(b []byte) (Header, error) {
	if len(b) < HeaderLen {
		return Header{}, errors.New("parse header: short message")
	}
	return Header{
		Length:     int32(binary.LittleEndian.Uint32(b)),
		RequestID:  int32(binary.LittleEndian.Uint32(b[4:])),
		ResponseTo: int32(binary.LittleEndian.Uint32(b[8:])),
		OpCode:     int32(binary.LittleEndian.Uint32(b[12:])),
	}, nil
}

// ReadMessage reads one whole message (header included) from r.
// buf is reused when large enough.
func ReadMessage(r io.Reader, buf []byte) ([]byte, error) {
	var hdr [4]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return nil, err
	}
	n := int(int32(binary.LittleEndian.Uint32(hdr[:])))
	if n < HeaderLen || n > MaxMessageSize {
		return nil, fmt.Errorf("read message: invalid length %d", n)
	}
	if cap(buf) < n {
		buf = make([]byte, n)
	}
	buf = buf[:n]
	copy(buf, hdr[:])
	if _, err := io.ReadFull(r, buf[4:]); err != nil {
		return nil, fmt.Errorf("read message body: %w", err)
	}
	return buf, nil
}

// Section1 is a kind-1 document sequence of an OP_MSG.
type Section1 struct {
	Identifier string
	Docs       [][]byte
}

// Msg is a parsed OP_MSG.
type Msg struct {
	Header    Header
	Flags     uint32
	Body      []byte
	Sequences []Section1
}

// Sequence returns the documents of the sequence named id, or nil.
func (m *Msg) Sequence(id string) [][]byte {
	for _, s := range m.Sequences {
		if s.Identifier == id {
			return s.Docs
		}
	}
	return nil
}

// docLen validates the length prefix of a BSON document at the start of b.
func docLen(b []byte) (int, error) {
	if len(b) < 5 {
		return 0, errors.New("short document")
	}
	n := int(int32(binary.LittleEndian.Uint32(b)))
	if n < 5 || n > len(b) || b[n-1] != 0 {
		return 0, fmt.Errorf("invalid document length %d", n)
	}
	return n, nil
}

// ParseMsg parses an OP_MSG message (header included).
func ParseMsg(b []byte) (*Msg, error) {
	h, err := ParseHeader(b)
	if err != nil {
		return nil, err
	}
	if h.OpCode != OpMsg || int(h.Length) != len(b) || len(b) < HeaderLen+5 {
		return nil, errors.New("parse op_msg: bad header")
	}
	m := &Msg{Header: h, Flags: binary.LittleEndian.Uint32(b[HeaderLen:])}
	end := len(b)
	if m.Flags&FlagChecksumPresent != 0 {
		end -= 4
	}
	if m.Flags&^(FlagChecksumPresent|FlagMoreToCome|FlagExhaustAllowed)&0xffff != 0 {
		return nil, fmt.Errorf("parse op_msg: unknown required flag bits %#x", m.Flags)
	}
	for p := HeaderLen + 4; p < end; {
		kind := b[p]
		p++
		switch kind {
		case 0:
			n, err := docLen(b[p:end])
			if err != nil {
				return nil, fmt.Errorf("parse op_msg body: %w", err)
			}
			if m.Body != nil {
				return nil, errors.New("parse op_msg: two bodies")
			}
			m.Body = b[p : p+n]
			p += n
		case 1:
			s, n, err := parseSequence(b[p:end])
			if err != nil {
				return nil, err
			}
			m.Sequences = append(m.Sequences, s)
			p += n
		default:
			return nil, fmt.Errorf("parse op_msg: unknown section kind %d", kind)
		}
	}
	if m.Body == nil {
		return nil, errors.New("parse op_msg: no body")
	}
	return m, nil
}

func parseSequence(b []byte) (Section1, int, error) {
	if len(b) < 4 {
		return Section1{}, 0, errors.New("parse op_msg sequence: short")
	}
	size := int(int32(binary.LittleEndian.Uint32(b)))
	if size < 5 || size > len(b) {
		return Section1{}, 0, fmt.Errorf("parse op_msg sequence: invalid size %d", size)
	}
	seq := b[4:size]
	i := 0
	for i < len(seq) && seq[i] != 0 {
		i++
	}
	if i == len(seq) {
		return Section1{}, 0, errors.New("parse op_msg sequence: unterminated identifier")
	}
	s := Section1{Identifier: string(seq[:i])}
	for p := i + 1; p < len(seq); {
		n, err := docLen(seq[p:])
		if err != nil {
			return Section1{}, 0, fmt.Errorf("parse op_msg sequence %q: %w", s.Identifier, err)
		}
		s.Docs = append(s.Docs, seq[p:p+n])
		p += n
	}
	return s, size, nil
}

// Query is a parsed OP_QUERY.
type Query struct {
	Header     Header
	Flags      int32
	Collection string
	Skip       int32
	Return     int32
	Query      []byte
}

// ParseQuery parses an OP_QUERY message (header included).
func ParseQuery(b []byte) (*Query, error) {
	h, err := ParseHeader(b)
	if err != nil {
		return nil, err
	}
	if h.OpCode != OpQuery || int(h.Length) != len(b) || len(b) < HeaderLen+4 {
		return nil, errors.New("parse op_query: bad header")
	}
	q := &Query{Header: h, Flags: int32(binary.LittleEndian.Uint32(b[HeaderLen:]))}
	p := HeaderLen + 4
	i := p
	for i < len(b) && b[i] != 0 {
		i++
	}
	if i >= len(b) {
		return nil, errors.New("parse op_query: unterminated collection name")
	}
	q.Collection = string(b[p:i])
	p = i + 1
	if len(b) < p+8 {
		return nil, errors.New("parse op_query: short")
	}
	q.Skip = int32(binary.LittleEndian.Uint32(b[p:]))
	q.Return = int32(binary.LittleEndian.Uint32(b[p+4:]))
	p += 8
	n, err := docLen(b[p:])
	if err != nil {
		return nil, fmt.Errorf("parse op_query document: %w", err)
	}
	q.Query = b[p : p+n]
	return q, nil
}

func appendHeader(dst []byte, requestID, responseTo, op int32) (int, []byte) {
	start := len(dst)
	dst = binary.LittleEndian.AppendUint32(dst, 0)
	dst = binary.LittleEndian.AppendUint32(dst, uint32(requestID))
	dst = binary.LittleEndian.AppendUint32(dst, uint32(responseTo))
	dst = binary.LittleEndian.AppendUint32(dst, uint32(op))
	return start, dst
}

func finish(dst []byte, start int) []byte {
	binary.LittleEndian.PutUint32(dst[start:], uint32(len(dst)-start))
	return dst
}

// AppendMsg appends an OP_MSG with one body section.
func AppendMsg(dst []byte, requestID, responseTo int32, flags uint32, body []byte) []byte {
	start, dst := appendHeader(dst, requestID, responseTo, OpMsg)
	dst = binary.LittleEndian.AppendUint32(dst, flags)
	dst = append(dst, 0)
	dst = append(dst, body...)
	return finish(dst, start)
}

// AppendReply appends an OP_REPLY carrying one document.
func AppendReply(dst []byte, requestID, responseTo int32, doc []byte) []byte {
	start, dst := appendHeader(dst, requestID, responseTo, OpReply)
	dst = binary.LittleEndian.AppendUint32(dst, 8) // AwaitCapable
	dst = binary.LittleEndian.AppendUint64(dst, 0) // cursor id
	dst = binary.LittleEndian.AppendUint32(dst, 0) // starting from
	dst = binary.LittleEndian.AppendUint32(dst, 1) // number returned
	dst = append(dst, doc...)
	return finish(dst, start)
}

// ReplyBody returns the reply document of an OP_MSG or OP_REPLY answer.
func ReplyBody(b []byte) ([]byte, error) {
	h, err := ParseHeader(b)
	if err != nil {
		return nil, err
	}
	switch h.OpCode {
	case OpMsg:
		m, err := ParseMsg(b)
		if err != nil {
			return nil, err
		}
		return m.Body, nil
	case OpReply:
		if len(b) < HeaderLen+20 {
			return nil, errors.New("parse op_reply: short")
		}
		n, err := docLen(b[HeaderLen+20:])
		if err != nil {
			return nil, fmt.Errorf("parse op_reply: %w", err)
		}
		return b[HeaderLen+20 : HeaderLen+20+n], nil
	}
	return nil, fmt.Errorf("reply body: unexpected op code %d", h.OpCode)
}
