package spool

import (
	"context"
	"fmt"
	"sync"
	"testing"
)

// BenchmarkAppend measures fsynced appends of 2 KiB records (about one
// intake request of 20 events) with 1 to 32 concurrent appenders: group
// commit makes the records per fsync grow with the appenders.
func BenchmarkAppend(b *testing.B) {
	for _, workers := range []int{1, 4, 16, 32} {
		b.Run(fmt.Sprintf("appenders=%d", workers), func(b *testing.B) {
			s, err := Open(b.TempDir(), Config{MaxBytes: 1 << 40, SegmentBytes: 64 << 20, BatchBytes: 8 << 20}, nil)
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			payload := make([]byte, 2048)
			b.SetBytes(int64(len(payload)))
			b.ReportAllocs()
			b.ResetTimer()
			var wg sync.WaitGroup
			per := b.N / workers
			for w := range workers {
				n := per
				if w == 0 {
					n += b.N % workers
				}
				wg.Go(func() {
					for range n {
						if err := s.Append(context.Background(), [][]byte{payload}); err != nil {
							b.Error(err)
							return
						}
					}
				})
			}
			wg.Wait()
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "records/s")
		})
	}
}
