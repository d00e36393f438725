package mongosim

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync/atomic"

	"github.com/noscites/citadel/internal/mongosim/mongoerr"
	"github.com/noscites/citadel/internal/mongosim/wire"
	"go.mongodb.org/mongo-driver/v2/bson"
)

var requestIDs atomic.Int32

// conn is one client connection to a member.
type conn struct {
	m  *Member
	c  net.Conn
	up net.Conn
	id int64
}

// request is one OP_MSG command.
type request struct {
	cn   *conn
	raw  []byte
	msg  *wire.Msg
	body bson.Raw
	name string
	db   string
}

type handler func(r *request, ctx context.Context) ([]byte, error)

func (m *Member) serve(c net.Conn) {
	defer m.dropConn(c)
	m.set.mu.Lock()
	m.connID++
	id := m.connID
	m.set.mu.Unlock()
	cn := &conn{m: m, c: c, id: id}
	defer func() {
		if cn.up != nil {
			cn.up.Close()
		}
	}()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var buf []byte
	for {
		msg, err := wire.ReadMessage(c, buf)
		if err != nil {
			return
		}
		out, err := cn.handle(ctx, msg)
		if err != nil {
			if !errors.Is(err, io.EOF) && !errors.Is(err, errStopped) {
				m.lg.Debug("connection closed", "err", err)
			}
			return
		}
		if out != nil {
			if _, err := c.Write(out); err != nil {
				return
			}
		}
		if cap(msg) <= 1<<20 {
			buf = msg[:0]
		} else {
			buf = nil
		}
	}
}

func (cn *conn) handle(ctx context.Context, raw []byte) ([]byte, error) {
	h, err := wire.ParseHeader(raw)
	if err != nil {
		return nil, err
	}
	switch h.OpCode {
	case wire.OpQuery:
		return cn.handleQuery(ctx, raw)
	case wire.OpMsg:
	default:
		return nil, fmt.Errorf("unsupported op code %d", h.OpCode)
	}
	msg, err := wire.ParseMsg(raw)
	if err != nil {
		return nil, err
	}
	r := &request{cn: cn, raw: raw, msg: msg, body: msg.Body}
	first, err := r.body.IndexErr(0)
	if err != nil {
		return r.fail(mongoerr.New(mongoerr.FailedToParse, "empty command")), nil
	}
	r.name = first.Key()
	r.db, _ = r.body.Lookup("$db").StringValueOK()
	hd := commands[strings.ToLower(r.name)]
	if hd == nil {
		hd = (*request).forwardRead
	}
	if _, ok := r.body.Lookup("autocommit").BooleanOK(); ok {
		hd = refuse("multi-document transactions")
	}
	out, err := hd(r, ctx)
	if err != nil {
		var me *mongoerr.Error
		if errors.As(err, &me) {
			return r.fail(me), nil
		}
		return nil, err
	}
	if msg.Flags&wire.FlagMoreToCome != 0 {
		return nil, nil
	}
	return out, nil
}

func refuse(feature string) handler {
	return func(*request, context.Context) ([]byte, error) { return nil, mongoerr.NotSupported(feature) }
}

// reply wraps a body document in an OP_MSG answering r.
func (r *request) reply(body []byte) []byte {
	return wire.AppendMsg(nil, requestIDs.Add(1), r.msg.Header.RequestID, 0, body)
}

// ok marshals fields plus ok: 1 into a reply.
func (r *request) ok(fields bson.D) []byte {
	fields = append(fields, bson.E{Key: "ok", Value: 1.0})
	fields = append(fields, r.cn.m.clusterTimeFields()...)
	b, err := bson.Marshal(fields)
	if err != nil {
		return r.fail(mongoerr.New(mongoerr.BadValue, "marshal reply: %v", err))
	}
	return r.reply(b)
}

func errorDoc(e *mongoerr.Error) bson.D {
	return bson.D{{Key: "ok", Value: 0.0}, {Key: "errmsg", Value: e.Msg},
		{Key: "code", Value: e.Code}, {Key: "codeName", Value: e.CodeName()}}
}

func (r *request) fail(e *mongoerr.Error) []byte {
	d := errorDoc(e)
	d = append(d, r.cn.m.clusterTimeFields()...)
	b, _ := bson.Marshal(d)
	return r.reply(b)
}

// roundTrip sends a whole message to FerretDB and returns its answer.
func (cn *conn) roundTrip(msg []byte) ([]byte, error) {
	if cn.up == nil {
		up, err := cn.m.dialUpstream()
		if err != nil {
			return nil, err
		}
		cn.up = up
	}
	if _, err := cn.up.Write(msg); err != nil {
		cn.up.Close()
		cn.up = nil
		return nil, fmt.Errorf("forward to ferretdb: %w", err)
	}
	out, err := wire.ReadMessage(cn.up, nil)
	if err != nil {
		cn.up.Close()
		cn.up = nil
		return nil, fmt.Errorf("read ferretdb reply: %w", err)
	}
	return out, nil
}

// forward sends r unchanged to FerretDB.
func (r *request) forward(context.Context) ([]byte, error) {
	if r.msg.Flags&wire.FlagMoreToCome != 0 {
		return nil, mongoerr.NotSupported("fire-and-forget (moreToCome) requests")
	}
	return r.cn.roundTrip(r.raw)
}

// readPreferenceOK reports whether the request allows a secondary to answer.
func (r *request) secondaryOk() bool {
	rp, ok := r.body.Lookup("$readPreference").DocumentOK()
	if !ok {
		return false
	}
	mode, _ := rp.Lookup("mode").StringValueOK()
	return mode != "" && mode != "primary"
}

func (cn *conn) handleQuery(ctx context.Context, raw []byte) ([]byte, error) {
	q, err := wire.ParseQuery(raw)
	if err != nil {
		return nil, err
	}
	name := ""
	if e, err := bson.Raw(q.Query).IndexErr(0); err == nil {
		name = e.Key()
	}
	var body []byte
	if strings.HasSuffix(q.Collection, ".$cmd") && (strings.EqualFold(name, "isMaster") || name == "hello") {
		body, err = bson.Marshal(cn.m.hello(name == "hello", bson.Raw(q.Query), cn.id))
		if err != nil {
			return nil, err
		}
	} else {
		e := mongoerr.New(mongoerr.UnsupportedOpQueryCommand, "Unsupported OP_QUERY command: %s. The client driver may require an upgrade. For more details see https://dochub.mongodb.org/core/legacy-opcode-removal", name)
		body, _ = bson.Marshal(bson.D{{Key: "$err", Value: e.Msg}, {Key: "errmsg", Value: e.Msg},
			{Key: "code", Value: e.Code}, {Key: "codeName", Value: e.CodeName()}, {Key: "ok", Value: 0.0}})
	}
	return wire.AppendReply(nil, requestIDs.Add(1), q.Header.RequestID, body), nil
}
