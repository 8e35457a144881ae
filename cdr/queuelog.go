package cdr

import (
	"errors"
	"io"
)

// DecodeQueueLog decodes the pipe-separated queue_log file:
// epoch|callid|queuename|agent|EVENT|data1|data2|…
func DecodeQueueLog(r io.Reader, opt DecodeOptions, fn func(Batch) error) error {
	return errors.New("cdr: queue_log decoder not built yet")
}

// DecodeQueueLogDB decodes a CSV export of the queue_log table with a header.
func DecodeQueueLogDB(r io.Reader, opt DecodeOptions, fn func(Batch) error) error {
	return errors.New("cdr: queue_log_db decoder not built yet")
}
