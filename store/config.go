package store

import (
	"errors"
	"fmt"
	"net"
	"regexp"
	"time"
)

// Config is the ClickHouse connection's settings. The config package composes
// it under the prefix ACDSTAT_CLICKHOUSE_ (caarlos0/env v11).
type Config struct {
	// Addr lists native-protocol addresses (host:port), tried in order.
	Addr []string `env:"ADDR" envSeparator:"," envDefault:"127.0.0.1:9000"`
	// Database is created by Open when missing. It is used as an SQL
	// identifier, so Validate allows only [A-Za-z_][A-Za-z0-9_]*.
	Database string `env:"DATABASE" envDefault:"acdstat"`
	User     string `env:"USER" envDefault:"default"`
	// Password and PasswordFile are exclusive. The file is read by Open; its
	// trailing line break is dropped. Neither is ever logged.
	Password     string `env:"PASSWORD"`
	PasswordFile string `env:"PASSWORD_FILE"`
	// DialTimeout bounds connecting; ReadTimeout bounds each wait for the
	// server's answer (a long query needs a larger one).
	DialTimeout time.Duration `env:"DIAL_TIMEOUT" envDefault:"10s"`
	ReadTimeout time.Duration `env:"READ_TIMEOUT" envDefault:"2m"`
	// Cluster names a cluster of the servers' remote_servers (cluster
	// mode, docs/SCALE.md); empty, the default, is one server. With it the
	// schema is created ON CLUSTER as Replicated tables behind Distributed
	// ones (cluster.go), every insert is synchronous and waits for
	// InsertQuorum replicas, and the jobs read only from replicas that hold
	// every acknowledged insert (ConsistentReads). It is used as an SQL
	// identifier, so Validate allows only [A-Za-z_][A-Za-z0-9_]*.
	Cluster string `env:"CLUSTER"`
	// InsertQuorum is how many replicas of a shard hold an insert before
	// ClickHouse acknowledges it (insert_quorum), in cluster mode only; at
	// least 2, so that an event the spool lets go of is on two disks.
	InsertQuorum int `env:"INSERT_QUORUM" envDefault:"2"`
}

// envPrefix is how the settings are named in errors, so a person finds them.
const envPrefix = "ACDSTAT_CLICKHOUSE_"

var identRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// Validate checks the settings without touching the network or the disk.
func (c Config) Validate() error {
	var errs []error
	if len(c.Addr) == 0 {
		errs = append(errs, fmt.Errorf("%sADDR: no address given", envPrefix))
	}
	for _, a := range c.Addr {
		if _, port, err := net.SplitHostPort(a); err != nil || port == "" {
			errs = append(errs, fmt.Errorf("%sADDR: %q is not host:port", envPrefix, a))
		}
	}
	if !identRE.MatchString(c.Database) {
		errs = append(errs, fmt.Errorf("%sDATABASE: %q must match %s", envPrefix, c.Database, identRE))
	}
	if c.User == "" {
		errs = append(errs, fmt.Errorf("%sUSER: empty", envPrefix))
	}
	if c.Password != "" && c.PasswordFile != "" {
		errs = append(errs, fmt.Errorf("%sPASSWORD and %sPASSWORD_FILE are exclusive: set one", envPrefix, envPrefix))
	}
	if c.DialTimeout <= 0 {
		errs = append(errs, fmt.Errorf("%sDIAL_TIMEOUT: must be positive, got %s", envPrefix, c.DialTimeout))
	}
	if c.ReadTimeout <= 0 {
		errs = append(errs, fmt.Errorf("%sREAD_TIMEOUT: must be positive, got %s", envPrefix, c.ReadTimeout))
	}
	if c.Cluster != "" && !identRE.MatchString(c.Cluster) {
		errs = append(errs, fmt.Errorf("%sCLUSTER: %q must match %s", envPrefix, c.Cluster, identRE))
	}
	if c.Cluster != "" && c.InsertQuorum < 2 {
		// A quorum of one is no quorum (ClickHouse keeps no quorum record
		// for it), so the jobs' consistent reads would not see its inserts.
		errs = append(errs, fmt.Errorf("%sINSERT_QUORUM: must be at least 2 in cluster mode, got %d", envPrefix, c.InsertQuorum))
	}
	return errors.Join(errs...)
}
