package mongosim

import (
	"net"
	"testing"
	"time"

	"github.com/noscites/citadel/internal/mongosim/wire"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// rawCmd sends one OP_MSG command exactly as given (no read preference
// added, unlike the driver on a direct connection) and returns the reply.
func rawCmd(t *testing.T, host string, cmd bson.D) bson.Raw {
	t.Helper()
	c, err := net.DialTimeout("tcp", host, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(20 * time.Second))
	body, err := bson.Marshal(cmd)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Write(wire.AppendMsg(nil, 1, 0, 0, body)); err != nil {
		t.Fatal(err)
	}
	msg, err := wire.ReadMessage(c, nil)
	if err != nil {
		t.Fatal(err)
	}
	rb, err := wire.ReplyBody(msg)
	if err != nil {
		t.Fatal(err)
	}
	return bson.Raw(rb)
}

func wantCode(t *testing.T, what string, reply bson.Raw, code int32, name string) {
	t.Helper()
	c, _ := reply.Lookup("code").Int32OK()
	n, _ := reply.Lookup("codeName").StringValueOK()
	if c != code || n != name {
		t.Errorf("%s: want %d %s, got %s", what, code, name, reply)
	}
}

func must(t *testing.T, errs ...error) {
	t.Helper()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
}
