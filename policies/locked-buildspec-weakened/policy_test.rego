package stagegate.policies.locked_buildspec_weakened_test

import data.stagegate.policies.locked_buildspec_weakened

workspace(locked, weakened) := {
	"pipelines": [{"stages": [{"actions": [{
		"name": "SCA",
		"stage": "Build",
		"locked": locked,
		"project": "p.yaml:Sca",
		"source": {"file": "p.yaml", "path": "/a"},
	}]}]}],
	"projects": {"p.yaml:Sca": {"buildspec": {"kind": "inline", "document": "p.yaml/b"}}},
	"buildspecs": {"p.yaml/b": {"weakened": weakened}},
}

or_true := {"reason": "`curl -o x.zip https://x || true` lets the line succeed when a command before `||` fails", "source": {"file": "p.yaml", "path": "/b#/phases/install/commands/0"}}

test_a_weakened_locked_buildspec_is_denied if {
	denied := locked_buildspec_weakened.deny with input as workspace(true, [or_true])
	count(denied) == 1
	some f in denied
	contains(f.message, "|| true")
}

test_unlocked_or_clean_buildspecs_pass if {
	count(locked_buildspec_weakened.deny) == 0 with input as workspace(false, [or_true])
	count(locked_buildspec_weakened.deny) == 0 with input as workspace(true, [])
}
