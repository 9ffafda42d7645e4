package mcpauthtest

// Verdict is the outcome of one check.
type Verdict string

// The verdicts.
const (
	Pass Verdict = "PASS"
	Fail Verdict = "FAIL"
	// Skip is a check that could not run: a credential it needs was not
	// given, or the server does not speak what it checks.
	Skip Verdict = "SKIP"
)

// Result is what one check found.
type Result struct {
	// Name is the check's name, such as "no-token/challenge"; checks of
	// labelled bad tokens carry the label ("bad-token/throw").
	Name string `json:"name"`
	// Rule cites what the check holds the server to.
	Rule string `json:"rule"`
	// Expected is what the rule requires, Got what the server did.
	Expected string  `json:"expected"`
	Got      string  `json:"got"`
	Verdict  Verdict `json:"verdict"`
	// Why says what an attacker gains when the check fails; for a
	// skipped check, why it did not run.
	Why string `json:"why"`
}

// Failed reports whether any result failed.
func Failed(results []Result) bool {
	for _, r := range results {
		if r.Verdict == Fail {
			return true
		}
	}
	return false
}
