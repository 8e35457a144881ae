package intake

import (
	"errors"
	"fmt"
)

// Validate checks the access, limit and privacy settings without touching
// the disk, naming the variable at fault.
func (c Config) Validate() error {
	var errs []error
	if c.IngestRate < 0 {
		errs = append(errs, fmt.Errorf("ACDSTAT_INGEST_RATE: must not be negative, got %g", c.IngestRate))
	}
	if c.IngestBurst < 0 {
		errs = append(errs, fmt.Errorf("ACDSTAT_INGEST_BURST: must not be negative, got %d", c.IngestBurst))
	}
	if err := c.Limits.Validate(); err != nil {
		errs = append(errs, err)
	}
	if _, err := ParseAllowlist(c.AllowCIDRs); err != nil {
		errs = append(errs, fmt.Errorf("ACDSTAT_ALLOW_CIDRS: %w", err))
	}
	if c.CallerHashKey != "" && c.CallerHashKeyFile != "" {
		errs = append(errs, errors.New("ACDSTAT_CALLER_HASH_KEY and ACDSTAT_CALLER_HASH_KEY_FILE are exclusive: set one"))
	}
	switch c.CallerNumbers {
	case "", CallerKeep, CallerDrop:
	case CallerHash:
		if c.CallerHashKey == "" && c.CallerHashKeyFile == "" {
			errs = append(errs, errors.New("ACDSTAT_CALLER_NUMBERS: hash needs ACDSTAT_CALLER_HASH_KEY or ACDSTAT_CALLER_HASH_KEY_FILE"))
		}
	default:
		errs = append(errs, fmt.Errorf("ACDSTAT_CALLER_NUMBERS: %q is not keep, hash or drop", c.CallerNumbers))
	}
	if c.CallerHashKey != "" && len(c.CallerHashKey) < 16 {
		errs = append(errs, errors.New("ACDSTAT_CALLER_HASH_KEY: must be at least 16 bytes"))
	}
	return errors.Join(errs...)
}
