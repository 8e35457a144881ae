package document

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"time"
)

// ErrNoChromium is FindChromium's error where no Chromium is installed.
var ErrNoChromium = errors.New("document: chromium not found: a PDF is printed by headless Chromium (apt-get install chromium, or set ACDSTAT_DOCUMENT_CHROMIUM); --format html needs none")

// chromiumNames are the names Chromium goes by on Debian and elsewhere.
var chromiumNames = []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"}

// FindChromium returns the Chromium to print with: bin where it is set (a
// path, or a name looked up in PATH), else the first of Debian's and
// Google's names found in PATH; ErrNoChromium where there is none.
func FindChromium(bin string) (string, error) {
	names := chromiumNames
	if bin != "" {
		names = []string{bin}
	}
	for _, n := range names {
		if p, err := exec.LookPath(n); err == nil {
			return p, nil
		}
	}
	if bin != "" {
		return "", fmt.Errorf("%w (%s)", ErrNoChromium, bin)
	}
	return "", ErrNoChromium
}

// printTimeout bounds one print: Chromium starts in a second or two; a
// hung one must not hold a scheduled run for ever.
const printTimeout = 2 * time.Minute

// PrintPDF prints page (WriteHTML's) to PDF with the headless Chromium
// bin, A4 as the page's CSS says, without the browser's header and footer
// (date, file name). Chromium runs with a profile of its own in a
// temporary folder, removed afterwards, and without its sandbox, which
// fails where acdstat runs as root or in a container; it loads only the
// page's own file, which holds no script.
func PrintPDF(ctx context.Context, bin string, page []byte) ([]byte, error) {
	dir, err := os.MkdirTemp("", "acdstat-document-")
	if err != nil {
		return nil, fmt.Errorf("cannot print the document: %w", err)
	}
	defer os.RemoveAll(dir)
	in, out := filepath.Join(dir, "document.html"), filepath.Join(dir, "document.pdf")
	if err := os.WriteFile(in, page, 0o600); err != nil {
		return nil, fmt.Errorf("cannot print the document: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, printTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
		"--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--no-pdf-header-footer", "--user-data-dir="+filepath.Join(dir, "profile"),
		"--print-to-pdf="+out, "file://"+in)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	cmd.Dir = dir
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("cannot print the document with %s: %w: %s", bin, err, lastLines(stderr.String(), 5))
	}
	pdf, err := os.ReadFile(out)
	if err != nil || !bytes.HasPrefix(pdf, []byte("%PDF")) {
		return nil, fmt.Errorf("cannot print the document with %s: no PDF written: %s", bin, lastLines(stderr.String(), 5))
	}
	return pdf, nil
}

// lastLines is the end of a program's stderr, for an error message.
func lastLines(s string, n int) string {
	lines := bytes.Split(bytes.TrimSpace([]byte(s)), []byte("\n"))
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return string(bytes.Join(lines, []byte("; ")))
}
