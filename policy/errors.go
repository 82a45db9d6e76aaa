package policy

import "errors"

// ErrInvalid is wrapped by every error of a policy that cannot work; the
// message names the key as the file spells it (kinds.perform.disableAfter).
var ErrInvalid = errors.New("invalid disable policy")
