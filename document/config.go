package document

import (
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/mail"
	"os"
	"slices"
	"strings"
)

// Config is the settings of the documents: the schedule that writes them
// (ACDSTAT_DOCUMENT_*) and the SMTP server that mails them
// (ACDSTAT_SMTP_*).
type Config struct {
	// Schedule (a robfig/cron spec such as "0 6 * * *") writes the
	// document of each month and quarter that has ended, once, to Dir;
	// empty: no documents are written.
	Schedule string `env:"DOCUMENT_SCHEDULE"`
	// Dir is where the schedule writes them; empty: DATA_DIR/documents.
	Dir string `env:"DOCUMENT_DIR"`
	// Lang is the language of the scheduled documents and the default of
	// acdstat report --quarter: da or en.
	Lang string `env:"DOCUMENT_LANG" envDefault:"en"`
	// Texts is the folder of the authors' text: a folder per period
	// (2016-Q4, 2016-10) of Markdown files, one per section (Build).
	Texts string `env:"DOCUMENT_TEXTS"`
	// Chromium prints the PDF: a path or a name in PATH; empty: chromium,
	// chromium-browser or google-chrome, whichever is installed.
	Chromium string `env:"DOCUMENT_CHROMIUM"`
	SMTP     SMTPConfig
}

// SMTPConfig is the mail server of the scheduled documents; without Addr
// nothing is mailed. STARTTLS is used where the server offers it, and
// required where User is set (net/smtp sends a password over plain text
// only to localhost); CAFile trusts a private CA for it.
type SMTPConfig struct {
	Addr         string   `env:"SMTP_ADDR"` // host:port
	From         string   `env:"SMTP_FROM"`
	To           []string `env:"SMTP_TO" envSeparator:","`
	User         string   `env:"SMTP_USER"`
	Password     string   `env:"SMTP_PASSWORD"`
	PasswordFile string   `env:"SMTP_PASSWORD_FILE"`
	CAFile       string   `env:"SMTP_CA_FILE"`
}

// Validate checks the settings, naming the variable at fault.
func (c Config) Validate() error {
	var errs []error
	if !slices.Contains(Languages, c.Lang) {
		errs = append(errs, fmt.Errorf("ACDSTAT_DOCUMENT_LANG: %q is not da or en", c.Lang))
	}
	if c.Texts != "" {
		if fi, err := os.Stat(c.Texts); err != nil || !fi.IsDir() {
			errs = append(errs, fmt.Errorf("ACDSTAT_DOCUMENT_TEXTS: %q is not a folder", c.Texts))
		}
	}
	if c.Schedule != "" {
		if _, err := FindChromium(c.Chromium); err != nil {
			errs = append(errs, fmt.Errorf("ACDSTAT_DOCUMENT_SCHEDULE: the scheduled documents are PDFs: %w", err))
		}
	}
	s := c.SMTP
	if s.Addr == "" {
		return errors.Join(errs...)
	}
	if _, _, err := net.SplitHostPort(s.Addr); err != nil {
		errs = append(errs, fmt.Errorf("ACDSTAT_SMTP_ADDR: %q is not host:port: %v", s.Addr, err))
	}
	if _, err := mail.ParseAddress(s.From); err != nil {
		errs = append(errs, fmt.Errorf("ACDSTAT_SMTP_FROM: %q is not a mail address: %v", s.From, err))
	}
	if len(s.To) == 0 {
		errs = append(errs, errors.New("ACDSTAT_SMTP_TO: set the mail addresses to send the documents to (comma-separated)"))
	}
	for _, to := range s.To {
		if _, err := mail.ParseAddress(strings.TrimSpace(to)); err != nil {
			errs = append(errs, fmt.Errorf("ACDSTAT_SMTP_TO: %q is not a mail address: %v", to, err))
		}
	}
	if c.Schedule == "" {
		errs = append(errs, errors.New("ACDSTAT_SMTP_ADDR: mails the scheduled documents, so ACDSTAT_DOCUMENT_SCHEDULE must be set"))
	}
	if _, err := s.password(); err != nil {
		errs = append(errs, err)
	}
	if _, err := s.roots(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// password is Password, or the first line of PasswordFile.
func (s SMTPConfig) password() (string, error) {
	if s.Password != "" || s.PasswordFile == "" {
		return s.Password, nil
	}
	b, err := os.ReadFile(s.PasswordFile)
	if err != nil {
		return "", fmt.Errorf("ACDSTAT_SMTP_PASSWORD_FILE: cannot read the password: %w", err)
	}
	return strings.TrimRight(strings.SplitN(string(b), "\n", 2)[0], "\r"), nil
}

// roots is the CA pool of CAFile; nil (the system's) without one.
func (s SMTPConfig) roots() (*x509.CertPool, error) {
	if s.CAFile == "" {
		return nil, nil
	}
	pem, err := os.ReadFile(s.CAFile)
	if err != nil {
		return nil, fmt.Errorf("ACDSTAT_SMTP_CA_FILE: cannot read the CA: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("ACDSTAT_SMTP_CA_FILE: %s holds no PEM certificate", s.CAFile)
	}
	return pool, nil
}
