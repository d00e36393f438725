// Package config holds citadel's configuration: the types of the YAML file,
// loading with line-numbered errors, validation that reports every problem at
// once, and the commented two-site example printed by `citadel config example`.
//
// Secrets never appear in the file: fields ending in _env name an environment
// variable and fields ending in _file name a file that holds the secret.
package config

import "time"

// Config is the whole citadel configuration file.
type Config struct {
	Sites       []Site       `yaml:"sites"`
	MongoDB     MongoDB      `yaml:"mongodb"`
	ReplicaSets []ReplicaSet `yaml:"replica_sets"`
	Storages    []Storage    `yaml:"storages"`
	Backups     []Backup     `yaml:"backups"`
	Drills      []Drill      `yaml:"drills"`
	Coordinator *Coordinator `yaml:"coordinator"`
	Ingest      *Ingest      `yaml:"ingest"`
	Quality     *Quality     `yaml:"quality"`
	Audit       *Audit       `yaml:"audit"`

	// File is the name the configuration was loaded from ("-" for stdin).
	File string `yaml:"-"`
	// Warnings are problems that do not make the file invalid but deserve
	// an operator's attention (for example the two-site quorum reality).
	Warnings []Problem `yaml:"-"`

	pos positions
}

// Site is a physical location (Paris, Lyon, a witness elsewhere).
type Site struct {
	Name        string `yaml:"name"`
	Description string `yaml:"description"`
}

// MongoDB holds how citadel connects to every member: authentication and TLS.
type MongoDB struct {
	Auth           *Auth    `yaml:"auth"`
	TLS            *TLS     `yaml:"tls"`
	ConnectTimeout Duration `yaml:"connect_timeout"`
	AppName        string   `yaml:"app_name"`
}

// Auth is MongoDB authentication. The password comes from an environment
// variable or a file, never from the configuration itself.
type Auth struct {
	Mechanism    string `yaml:"mechanism"`
	Username     string `yaml:"username"`
	PasswordEnv  string `yaml:"password_env"`
	PasswordFile string `yaml:"password_file"`
	Source       string `yaml:"source"`
}

// Password resolves the password from its environment variable or file.
func (a *Auth) Password() (string, error) {
	return Secret{Env: a.PasswordEnv, File: a.PasswordFile}.Resolve()
}

// TLS configures TLS for a MongoDB or S3 connection.
type TLS struct {
	Enabled            bool   `yaml:"enabled"`
	CAFile             string `yaml:"ca_file"`
	CertKeyFile        string `yaml:"cert_key_file"`
	InsecureSkipVerify bool   `yaml:"insecure_skip_verify"`
}

// ReplicaSet is the desired shape of one replica set.
type ReplicaSet struct {
	Name     string     `yaml:"name"`
	Settings RSSettings `yaml:"settings"`
	Members  []Member   `yaml:"members"`
}

// RSSettings are the replica set's settings document.
type RSSettings struct {
	ElectionTimeout   Duration `yaml:"election_timeout"`
	HeartbeatInterval Duration `yaml:"heartbeat_interval"`
	HeartbeatTimeout  Duration `yaml:"heartbeat_timeout"`
	CatchUpTimeout    Duration `yaml:"catch_up_timeout"`
	ChainingAllowed   *bool    `yaml:"chaining_allowed"`
}

// Defaults of mongod 7.0 for the settings document.
const (
	DefaultElectionTimeout   = 10 * time.Second
	DefaultHeartbeatInterval = 2 * time.Second
	DefaultHeartbeatTimeout  = 10 * time.Second
)

// ElectionTimeoutOr returns the election timeout or mongod's default.
func (s RSSettings) ElectionTimeoutOr() time.Duration {
	if s.ElectionTimeout > 0 {
		return s.ElectionTimeout.D()
	}
	return DefaultElectionTimeout
}

// HeartbeatIntervalOr returns the heartbeat interval or mongod's default.
func (s RSSettings) HeartbeatIntervalOr() time.Duration {
	if s.HeartbeatInterval > 0 {
		return s.HeartbeatInterval.D()
	}
	return DefaultHeartbeatInterval
}

// Member is one member of a replica set as the operator wants it.
type Member struct {
	ID             *int              `yaml:"id"`
	Host           string            `yaml:"host"`
	Site           string            `yaml:"site"`
	Priority       *float64          `yaml:"priority"`
	Votes          *int              `yaml:"votes"`
	Hidden         bool              `yaml:"hidden"`
	Arbiter        bool              `yaml:"arbiter"`
	Tags           map[string]string `yaml:"tags"`
	SecondaryDelay Duration          `yaml:"secondary_delay"`
}

// EffectivePriority is the priority with mongod's defaults applied:
// 1 for a data member, 0 for hidden members and arbiters.
func (m Member) EffectivePriority() float64 {
	if m.Priority != nil {
		return *m.Priority
	}
	if m.Hidden || m.Arbiter || m.SecondaryDelay > 0 {
		return 0
	}
	return 1
}

// EffectiveVotes is the number of votes with mongod's default (1).
func (m Member) EffectiveVotes() int {
	if m.Votes != nil {
		return *m.Votes
	}
	return 1
}

// Electable reports whether the member can ever become primary.
func (m Member) Electable() bool {
	return !m.Arbiter && !m.Hidden && m.EffectivePriority() > 0 && m.EffectiveVotes() > 0
}

// Storage is a place where backups are kept: exactly one of S3 or Filesystem.
type Storage struct {
	Name       string      `yaml:"name"`
	Site       string      `yaml:"site"`
	S3         *S3         `yaml:"s3"`
	Filesystem *Filesystem `yaml:"filesystem"`
}

// S3 is an S3-compatible bucket, in practice a self-hosted MinIO.
type S3 struct {
	Endpoint       string `yaml:"endpoint"`
	Bucket         string `yaml:"bucket"`
	Region         string `yaml:"region"`
	Prefix         string `yaml:"prefix"`
	AccessKeyEnv   string `yaml:"access_key_env"`
	AccessKeyFile  string `yaml:"access_key_file"`
	SecretKeyEnv   string `yaml:"secret_key_env"`
	SecretKeyFile  string `yaml:"secret_key_file"`
	TLS            *TLS   `yaml:"tls"`
	ObjectLockDays int    `yaml:"object_lock_days"`
}

// AccessKey resolves the access key id.
func (s *S3) AccessKey() (string, error) {
	return Secret{Env: s.AccessKeyEnv, File: s.AccessKeyFile}.Resolve()
}

// SecretKey resolves the secret access key.
func (s *S3) SecretKey() (string, error) {
	return Secret{Env: s.SecretKeyEnv, File: s.SecretKeyFile}.Resolve()
}

// Filesystem is a directory, local or mounted.
type Filesystem struct {
	Path string `yaml:"path"`
}

// Backup is a scheduled backup of one replica set to one storage.
type Backup struct {
	Name        string      `yaml:"name"`
	ReplicaSet  string      `yaml:"replica_set"`
	Storage     string      `yaml:"storage"`
	Schedule    string      `yaml:"schedule"`
	Timezone    string      `yaml:"timezone"`
	CopyTo      []string    `yaml:"copy_to"`
	Compression Compression `yaml:"compression"`
	Encryption  *Encryption `yaml:"encryption"`
	Retention   Retention   `yaml:"retention"`
	PITR        PITR        `yaml:"pitr"`
	Source      Source      `yaml:"source"`
	Parallelism int         `yaml:"parallelism"`
	// SkipProbes leaves out the datasets' probe answers a backup
	// otherwise records in its manifest for drills to compare (each probe
	// reads its collections once more on the source).
	SkipProbes bool `yaml:"skip_probes"`
}

// Compression of every stored object.
type Compression struct {
	Algorithm string `yaml:"algorithm"` // zstd (default) or none
	Level     int    `yaml:"level"`     // 1 fastest … 4 best; 0 means the default (2)
}

// Encryption with age: recipients encrypt; the identity file decrypts at
// restore and verify --read-data time.
type Encryption struct {
	RecipientsFile string `yaml:"recipients_file"`
	IdentityFile   string `yaml:"identity_file"`
}

// Retention says how many backups to keep per period, and how many drill
// reports (the newest; zero keeps them all).
type Retention struct {
	Daily        int `yaml:"daily"`
	Weekly       int `yaml:"weekly"`
	Monthly      int `yaml:"monthly"`
	DrillReports int `yaml:"drill_reports"`
}

// PITR configures continuous oplog archiving.
type PITR struct {
	Enabled bool     `yaml:"enabled"`
	Slice   Duration `yaml:"slice"`
	// Window is how far back a point-in-time restore must stay possible:
	// prune keeps the last backup before it and every slice after that.
	// Zero keeps the slices back to the oldest kept backup.
	Window Duration `yaml:"window"`
}

// DefaultPITRSlice is the default oplog slice length (so RPO ≈ one minute).
const DefaultPITRSlice = time.Minute

// SliceOr returns the slice length or its default.
func (p PITR) SliceOr() time.Duration {
	if p.Slice > 0 {
		return p.Slice.D()
	}
	return DefaultPITRSlice
}

// Source says which member a backup reads from.
type Source struct {
	Prefer       string `yaml:"prefer"` // hidden (default), secondary, primary
	AllowPrimary bool   `yaml:"allow_primary"`
}

// Drill is a scheduled restore rehearsal.
type Drill struct {
	Name     string      `yaml:"name"`
	Backup   string      `yaml:"backup"`
	Schedule string      `yaml:"schedule"`
	Timezone string      `yaml:"timezone"`
	Target   DrillTarget `yaml:"target"`
	MaxRTO   Duration    `yaml:"max_rto"`
	MaxRPO   Duration    `yaml:"max_rpo"`
	// FromStorage restores from this storage's copy instead of the backup
	// job's own storage (a cross-site drill): one of its copy_to.
	FromStorage string `yaml:"from_storage"`
	// Webhook, when set, is called with the report of a failed drill.
	Webhook *DrillWebhook `yaml:"webhook"`
}

// DefaultWebhookTimeout bounds a drill webhook's call when the file gives
// no timeout.
const DefaultWebhookTimeout = 10 * time.Second

// DrillWebhook is where a failed drill's report is POSTed (JSON). The URL
// may hold a token, so it is a secret: an environment variable or a file.
type DrillWebhook struct {
	URLEnv  string   `yaml:"url_env"`
	URLFile string   `yaml:"url_file"`
	Timeout Duration `yaml:"timeout"`
}

// URL resolves the webhook's URL.
func (w *DrillWebhook) URL() (string, error) {
	return Secret{Env: w.URLEnv, File: w.URLFile}.Resolve()
}

// TimeoutOr is the call's timeout, the default when none is set.
func (w *DrillWebhook) TimeoutOr() time.Duration {
	if w.Timeout > 0 {
		return w.Timeout.D()
	}
	return DefaultWebhookTimeout
}

// DrillTarget is the scratch place a drill restores into: a replica set of
// this file or a URI read from an environment variable.
type DrillTarget struct {
	ReplicaSet string `yaml:"replica_set"`
	URIEnv     string `yaml:"uri_env"`
}

// Ingest says where the dataset loaders write.
type Ingest struct {
	ReplicaSet   string  `yaml:"replica_set"`
	Database     string  `yaml:"database"`
	MaxErrorRate float64 `yaml:"max_error_rate"`
	BatchSize    int     `yaml:"batch_size"`
	Workers      int     `yaml:"workers"`
	// The key of the keyed hash that pseudonymises personal data
	// (SuperSmartMarket employee names and emails).
	PseudonymKeyEnv  string `yaml:"pseudonym_key_env"`
	PseudonymKeyFile string `yaml:"pseudonym_key_file"`
	// The Weather Underground stations whose workbooks can be loaded
	// (empty: the two citadel knows, see WeatherStation).
	WeatherStations []WeatherStation `yaml:"weather_stations"`
}

// PseudonymKey resolves the pseudonymisation key ("" when none is named).
func (in *Ingest) PseudonymKey() (string, error) {
	return Secret{Env: in.PseudonymKeyEnv, File: in.PseudonymKeyFile}.Resolve()
}

// Audit says where the audit trail of state-changing actions is kept:
// one JSON line per action appended to Path (created with mode 0600).
// Without it, actions are recorded in the log only.
type Audit struct {
	Path string `yaml:"path"`
}

// Site returns the site with that name, or nil.
func (c *Config) Site(name string) *Site {
	for i := range c.Sites {
		if c.Sites[i].Name == name {
			return &c.Sites[i]
		}
	}
	return nil
}

// ReplicaSet returns the replica set with that name, or nil.
func (c *Config) ReplicaSet(name string) *ReplicaSet {
	for i := range c.ReplicaSets {
		if c.ReplicaSets[i].Name == name {
			return &c.ReplicaSets[i]
		}
	}
	return nil
}

// Storage returns the storage with that name, or nil.
func (c *Config) Storage(name string) *Storage {
	for i := range c.Storages {
		if c.Storages[i].Name == name {
			return &c.Storages[i]
		}
	}
	return nil
}

// Backup returns the backup with that name, or nil.
func (c *Config) Backup(name string) *Backup {
	for i := range c.Backups {
		if c.Backups[i].Name == name {
			return &c.Backups[i]
		}
	}
	return nil
}

// Drill returns the drill with that name, or nil.
func (c *Config) Drill(name string) *Drill {
	for i := range c.Drills {
		if c.Drills[i].Name == name {
			return &c.Drills[i]
		}
	}
	return nil
}
