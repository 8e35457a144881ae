package sip

import "fmt"

// Config holds the settings of what SIP messages mean and how they
// correlate into queue calls; config composes it under ACDSTAT_. The
// listeners' settings (addresses, switch, password, queue) are intake's
// (intake.SIPConfig), and so are the headers a listener reads (Headers).
type Config struct {
	// IVRFirst: only a linked agent leg's 2xx is an answer.
	IVRFirst bool `env:"SIP_IVR_FIRST"`
	// MaxCalls bounds the calls of one correlation run.
	MaxCalls int `env:"SIP_MAX_CALLS" envDefault:"200000"`
}

// Validate checks the settings, naming the variables at fault.
func (c Config) Validate() error {
	if c.MaxCalls <= 0 {
		return fmt.Errorf("ACDSTAT_SIP_MAX_CALLS: must be positive, got %d", c.MaxCalls)
	}
	return nil
}

// Correlation returns the correlation settings, with numbers → queue from
// the queue settings.
func (c Config) Correlation(numbers map[string]string) CorrelationConfig {
	return CorrelationConfig{Numbers: numbers, IVRFirst: c.IVRFirst, MaxCalls: c.MaxCalls}
}
