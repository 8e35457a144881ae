package main

import "strings"

// closest returns the candidate that name was most likely meant to be, or
// "" when none is close: the same but for case, or else the one at the
// smallest edit distance, if that is at most a third of name's length (at
// least 1, at most 3) and no other candidate is as close. It is what "did
// you mean" names for a command, a format or a queue.
func closest(name string, candidates []string) string {
	for _, c := range candidates {
		if strings.EqualFold(c, name) {
			return c
		}
	}
	limit := min(max(len(name)/3, 1), 3)
	best, bestD, tie := "", limit+1, false
	for _, c := range candidates {
		d := editDistance(strings.ToLower(name), strings.ToLower(c))
		switch {
		case d < bestD:
			best, bestD, tie = c, d, false
		case d == bestD:
			tie = true
		}
	}
	if best == "" || tie {
		return ""
	}
	return best
}

// editDistance is the Levenshtein distance of a and b in bytes (names are
// ASCII: commands, formats, queue names).
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
