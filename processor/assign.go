package processor

import "sort"

// Assign returns the partitions that replica self owns among members: the
// partitions are dealt round-robin over the sorted member ids, so every
// replica computes the same split from the same member list and the split is
// even (they differ by at most one). A self missing from members owns nothing.
func Assign(partitions int, members []string, self string) []int {
	sorted := append([]string(nil), members...)
	sort.Strings(sorted)
	sorted = compactSorted(sorted)
	idx := sort.SearchStrings(sorted, self)
	if idx == len(sorted) || sorted[idx] != self {
		return nil
	}
	var owned []int
	for p := idx; p < partitions; p += len(sorted) {
		owned = append(owned, p)
	}
	return owned
}

func compactSorted(s []string) []string {
	out := s[:0]
	for i, v := range s {
		if i == 0 || v != s[i-1] {
			out = append(out, v)
		}
	}
	return out
}
