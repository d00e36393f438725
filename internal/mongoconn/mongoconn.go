// Package mongoconn turns the configuration's mongodb section into driver
// options: authentication (password from its variable or file), TLS,
// timeouts and the application name. Every citadel connection to MongoDB
// starts from Options, so auth and TLS are honoured everywhere alike.
package mongoconn

import (
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/noscites/citadel/config"
)

// DefaultConnectTimeout applies when mongodb.connect_timeout is not set.
const DefaultConnectTimeout = 10 * time.Second

// ConnectTimeout is the file's connect timeout or its default.
func ConnectTimeout(mc config.MongoDB) time.Duration {
	if mc.ConnectTimeout > 0 {
		return mc.ConnectTimeout.D()
	}
	return DefaultConnectTimeout
}

// Options returns client options with auth, TLS, the connect timeout as
// both connect and server-selection timeout, and the app name ("citadel",
// or the file's app_name; role is appended when set, e.g. "citadel-ingest").
// A missing secret or an unreadable certificate fails here, before any
// connection is attempted.
func Options(mc config.MongoDB, role string) (*options.ClientOptions, error) {
	timeout := ConnectTimeout(mc)
	o := options.Client().SetAppName(appName(mc.AppName, role)).SetConnectTimeout(timeout).SetServerSelectionTimeout(timeout)
	if a := mc.Auth; a != nil && (a.Username != "" || a.Mechanism == "MONGODB-X509") {
		cred := options.Credential{AuthMechanism: a.Mechanism, AuthSource: a.Source, Username: a.Username}
		if a.Mechanism == "MONGODB-X509" {
			cred.AuthSource = "$external"
		} else {
			pw, err := a.Password()
			if err != nil {
				return nil, fmt.Errorf("resolve mongodb password: %w", err)
			}
			cred.Password, cred.PasswordSet = pw, true
			if cred.AuthSource == "" {
				cred.AuthSource = "admin"
			}
		}
		o.SetAuth(cred)
	}
	tc, err := mc.TLS.ClientConfig("mongodb")
	if err != nil {
		return nil, err
	}
	if tc != nil {
		o.SetTLSConfig(tc)
	}
	return o, nil
}

// appName is "citadel" (or the file's app_name) with the role appended.
func appName(base, role string) string {
	if base == "" {
		base = "citadel"
	}
	if role != "" {
		base += "-" + role
	}
	return base
}
