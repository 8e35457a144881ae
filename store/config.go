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
	return errors.Join(errs...)
}
