package document

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"fmt"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/smtp"
	"net/textproto"
	"strings"
	"time"
)

// Mailer mails documents through one SMTP server. It is safe for
// concurrent use: every Send has a connection of its own.
type Mailer struct {
	addr, host, from string
	to               []string
	user, password   string
	roots            *x509.CertPool
}

// NewMailer returns the mailer of c; nil, and no error, where c has no
// Addr: nothing is mailed.
func NewMailer(c SMTPConfig) (*Mailer, error) {
	if c.Addr == "" {
		return nil, nil
	}
	host, _, err := net.SplitHostPort(c.Addr)
	if err != nil {
		return nil, fmt.Errorf("ACDSTAT_SMTP_ADDR: %q is not host:port: %w", c.Addr, err)
	}
	pw, err := c.password()
	if err != nil {
		return nil, err
	}
	roots, err := c.roots()
	if err != nil {
		return nil, err
	}
	m := &Mailer{addr: c.Addr, host: host, from: c.From, user: c.User, password: pw, roots: roots}
	for _, to := range c.To {
		m.to = append(m.to, strings.TrimSpace(to))
	}
	return m, nil
}

// mailTimeout bounds one delivery, from the dial to QUIT.
const mailTimeout = 2 * time.Minute

// Send mails body (plain text) with the attachment pdf, named filename, to
// every recipient, dated date. It says EHLO, upgrades to TLS with STARTTLS
// where the server offers it (checking the server's certificate for its
// host name), and authenticates (AUTH PLAIN) where a user is set; a user
// set and a server that offers no AUTH is an error rather than a mail
// sent without the authentication the settings ask for.
func (m *Mailer) Send(ctx context.Context, subject, body, filename string, pdf []byte, date time.Time) error {
	msg, err := message(m.from, m.to, subject, body, filename, pdf, date)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, mailTimeout)
	defer cancel()
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", m.addr)
	if err != nil {
		return fmt.Errorf("cannot mail the document: %w", err)
	}
	deadline, _ := ctx.Deadline()
	_ = conn.SetDeadline(deadline)
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	c, err := smtp.NewClient(conn, m.host)
	if err != nil {
		conn.Close()
		return fmt.Errorf("cannot mail the document through %s: %w", m.addr, err)
	}
	defer c.Close()
	if err := c.Hello("localhost"); err != nil {
		return fmt.Errorf("cannot mail the document through %s: %w", m.addr, err)
	}
	if ok, _ := c.Extension("STARTTLS"); ok {
		if err := c.StartTLS(&tls.Config{ServerName: m.host, RootCAs: m.roots, MinVersion: tls.VersionTLS12}); err != nil {
			return fmt.Errorf("cannot mail the document through %s: STARTTLS: %w", m.addr, err)
		}
	}
	if m.user != "" {
		if ok, _ := c.Extension("AUTH"); !ok {
			return fmt.Errorf("cannot mail the document through %s: ACDSTAT_SMTP_USER is set but the server offers no AUTH", m.addr)
		}
		if err := c.Auth(smtp.PlainAuth("", m.user, m.password, m.host)); err != nil {
			return fmt.Errorf("cannot mail the document through %s: AUTH: %w", m.addr, err)
		}
	}
	if err := c.Mail(m.from); err != nil {
		return fmt.Errorf("cannot mail the document through %s: MAIL FROM: %w", m.addr, err)
	}
	for _, to := range m.to {
		if err := c.Rcpt(to); err != nil {
			return fmt.Errorf("cannot mail the document to %s: %w", to, err)
		}
	}
	w, err := c.Data()
	if err != nil {
		return fmt.Errorf("cannot mail the document through %s: DATA: %w", m.addr, err)
	}
	if _, err := w.Write(msg); err != nil {
		return fmt.Errorf("cannot mail the document through %s: %w", m.addr, err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("cannot mail the document through %s: %w", m.addr, err)
	}
	if err := c.Quit(); err != nil {
		return fmt.Errorf("cannot mail the document through %s: QUIT: %w", m.addr, err)
	}
	return nil
}

// message is the mail: multipart/mixed with the body as UTF-8 text
// (quoted-printable) and the PDF (base64), with CRLF line ends.
func message(from string, to []string, subject, body, filename string, pdf []byte, date time.Time) ([]byte, error) {
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	fmt.Fprintf(&b, "From: %s\r\nTo: %s\r\nSubject: %s\r\nDate: %s\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=%q\r\n\r\n",
		from, strings.Join(to, ", "), mime.QEncoding.Encode("utf-8", subject), date.Format(time.RFC1123Z), mw.Boundary())
	text, err := mw.CreatePart(textproto.MIMEHeader{
		"Content-Type":              {"text/plain; charset=utf-8"},
		"Content-Transfer-Encoding": {"quoted-printable"},
	})
	if err != nil {
		return nil, fmt.Errorf("cannot write the mail: %w", err)
	}
	qp := quotedprintable.NewWriter(text)
	if _, err := qp.Write([]byte(strings.ReplaceAll(body, "\n", "\r\n"))); err != nil {
		return nil, fmt.Errorf("cannot write the mail: %w", err)
	}
	if err := qp.Close(); err != nil {
		return nil, fmt.Errorf("cannot write the mail: %w", err)
	}
	att, err := mw.CreatePart(textproto.MIMEHeader{
		"Content-Type":              {mime.FormatMediaType("application/pdf", map[string]string{"name": filename})},
		"Content-Disposition":       {mime.FormatMediaType("attachment", map[string]string{"filename": filename})},
		"Content-Transfer-Encoding": {"base64"},
	})
	if err != nil {
		return nil, fmt.Errorf("cannot write the mail: %w", err)
	}
	enc := base64.StdEncoding.EncodeToString(pdf)
	for len(enc) > 76 { // RFC 2045: lines of at most 76 characters
		if _, err := att.Write([]byte(enc[:76] + "\r\n")); err != nil {
			return nil, fmt.Errorf("cannot write the mail: %w", err)
		}
		enc = enc[76:]
	}
	if _, err := att.Write([]byte(enc + "\r\n")); err != nil {
		return nil, fmt.Errorf("cannot write the mail: %w", err)
	}
	if err := mw.Close(); err != nil {
		return nil, fmt.Errorf("cannot write the mail: %w", err)
	}
	return b.Bytes(), nil
}
