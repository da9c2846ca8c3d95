package mesh

import (
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/ciliumkit/ciliumkit/ipam"
)

// Bounds on what an error of this package prints, so that its size never grows with the
// input it reports on.
const (
	// MaxReportedProblems is the most problems NewPlan, ParseSpec and ParsePlan report one
	// by one, and the most warnings a Plan keeps. Beyond it the report ends with one
	// *MoreProblemsError that counts the rest.
	MaxReportedProblems = 100
	// MaxQuotedNameLen is the most bytes of a cluster name, key or value an error quotes;
	// a longer one is cut and followed by its length, as in "abc"…(52428800 bytes).
	MaxQuotedNameLen = 64
	// maxListedPrefixes is the most prefixes an error lists before "… (N in all)".
	maxListedPrefixes = 8
	// maxMessageLen bounds the text taken over from another package's error (the YAML
	// and JSON decoders quote whole values).
	maxMessageLen = 1024
)

// MoreProblemsError is the last problem of a report cut at MaxReportedProblems: it counts
// the problems left out and wraps the sentinels they wrap, so errors.Is still finds every
// kind of problem the input has. errors.As for *OverlapError finds only reported ones.
type MoreProblemsError struct {
	// Count is the number of problems left out, at least 1.
	Count int
	// Sentinels are the distinct sentinel errors (this package's Err* values,
	// ipam.ErrPoolExhausted, ipam.ErrInvalidCIDR) the left-out problems wrap, in the
	// order first met.
	Sentinels []error
}

// Error returns one line with the count.
func (e *MoreProblemsError) Error() string {
	if e.Count == 1 {
		return "mesh: 1 more problem not reported"
	}
	return fmt.Sprintf("mesh: %d more problems not reported", e.Count)
}

// Unwrap returns the sentinels the left-out problems wrap.
func (e *MoreProblemsError) Unwrap() []error { return e.Sentinels }

// sentinels are the errors a left-out problem is reduced to.
var sentinels = []error{
	ErrInvalidSpec, ErrInvalidPlan, ErrNoClusters, ErrDuplicateClusterName, ErrDuplicateClusterID,
	ErrNoFreeClusterID, ErrServiceCIDROverlap, ErrCIDROverlap, ErrNoPodCIDR, ErrNoServiceCIDR,
	ErrPodCIDRTooSmall, ErrInvalidNodeMaskSize, ErrInvalidPrefixLength, ErrInvalidMaxNodes,
	ErrPlanChanged, ErrClusterNotPlanned, ErrInvalidClusterName, ErrDefaultClusterName,
	ErrInvalidClusterID, ErrInvalidMaxConnectedClusters,
	ipam.ErrPoolExhausted, ipam.ErrInvalidCIDR, ipam.ErrInvalidPrefixLength,
}

// problems collects the problems of one call: the first MaxReportedProblems in full, the
// rest only counted. addf formats only what it keeps, so a flood of problems costs little.
type problems struct {
	list []error
	more MoreProblemsError
}

// len returns how many problems were found, reported or not.
func (ps *problems) len() int { return len(ps.list) + ps.more.Count }

// room returns how many more problems can be reported in full.
func (ps *problems) room() int { return MaxReportedProblems - len(ps.list) }

func (ps *problems) add(err error) {
	if ps.room() > 0 {
		ps.list = append(ps.list, err)
		return
	}
	ps.drop(1, err)
}

// addf adds fmt.Errorf(format, args...); left out, only the errors among args count.
func (ps *problems) addf(format string, args ...any) {
	if ps.room() > 0 {
		ps.list = append(ps.list, fmt.Errorf(format, args...))
		return
	}
	ps.more.Count++
	for _, a := range args {
		if err, ok := a.(error); ok {
			ps.noteSentinel(err)
		}
	}
}

// drop counts n left-out problems like err.
func (ps *problems) drop(n int, err error) {
	ps.more.Count += n
	ps.noteSentinel(err)
}

func (ps *problems) noteSentinel(err error) {
	for _, s := range sentinels {
		if errors.Is(err, s) {
			for _, have := range ps.more.Sentinels {
				if have == s {
					return
				}
			}
			ps.more.Sentinels = append(ps.more.Sentinels, s)
			return
		}
	}
}

// errs returns the reported problems, and the *MoreProblemsError last when some were left
// out.
func (ps *problems) errs() []error {
	if ps.more.Count == 0 {
		return ps.list
	}
	more := ps.more
	return append(ps.list[:len(ps.list):len(ps.list)], &more)
}

// err joins errs, or returns nil without problems.
func (ps *problems) err() error { return errors.Join(ps.errs()...) }

// quote returns s quoted as %q does, cut after MaxQuotedNameLen bytes (at a character
// boundary) and followed by its length when it is longer.
func quote(s string) string {
	if len(s) <= MaxQuotedNameLen {
		return strconv.Quote(s)
	}
	cut := MaxQuotedNameLen
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return strconv.Quote(s[:cut]) + "…(" + strconv.Itoa(len(s)) + " bytes)"
}

// prefixList formats ps as %v does, listing at most maxListedPrefixes of them.
func prefixList(ps []netip.Prefix) string {
	var b strings.Builder
	b.WriteByte('[')
	for i, p := range ps {
		if i == maxListedPrefixes {
			fmt.Fprintf(&b, " … (%d in all)", len(ps))
			break
		}
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(p.String())
	}
	b.WriteByte(']')
	return b.String()
}

// clip bounds a message taken over from another package to maxMessageLen bytes.
func clip(msg string) string {
	if len(msg) <= maxMessageLen {
		return msg
	}
	cut := maxMessageLen
	for cut > 0 && !utf8.RuneStart(msg[cut]) {
		cut--
	}
	return msg[:cut] + "…(" + strconv.Itoa(len(msg)) + " bytes)"
}
