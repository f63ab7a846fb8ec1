package stagegate.policies.locked_buildspec_repo_code_test

import data.stagegate.policies.locked_buildspec_repo_code

workspace(locked, uses) := {
	"pipelines": [{"stages": [{"actions": [{
		"name": "SCA",
		"stage": "Build",
		"locked": locked,
		"project": "p.yaml:Sca",
		"source": {"file": "p.yaml", "path": "/a"},
	}]}]}],
	"projects": {"p.yaml:Sca": {"buildspec": {"kind": "inline", "document": "p.yaml/b"}}},
	"buildspecs": {"p.yaml/b": {"repository_code": uses}},
}

gradlew := {"reason": "`./gradlew` is a program from the repository", "source": {"file": "p.yaml", "path": "/b#/phases/build/commands/0"}}

test_repository_code_in_a_locked_buildspec_is_denied if {
	denied := locked_buildspec_repo_code.deny with input as workspace(true, [gradlew])
	count(denied) == 1
	some f in denied
	contains(f.message, "gradlew")
}

test_unlocked_or_clean_buildspecs_pass if {
	count(locked_buildspec_repo_code.deny) == 0 with input as workspace(false, [gradlew])
	count(locked_buildspec_repo_code.deny) == 0 with input as workspace(true, [])
}
