package stagegate.policies.locked_buildspec_not_inline_test

import data.stagegate.policies.locked_buildspec_not_inline

workspace(kind, locked) := {
	"pipelines": [{"name": "app", "stages": [{"actions": [{
		"name": "SCA",
		"stage": "Build",
		"locked": locked,
		"project": "p",
		"source": {"file": "t.yaml", "path": "/a"},
	}]}]}],
	"projects": {"p": {
		"key": "p",
		"name": "platform-sca",
		"logical_id": null,
		"buildspec": {"kind": kind, "path": "buildspec-sca.yml", "source": {"file": "t.yaml", "path": "/b"}},
	}},
}

test_inline_passes if {
	count(locked_buildspec_not_inline.deny) == 0 with input as workspace("inline", true)
}

test_repo_file_is_denied if {
	count(locked_buildspec_not_inline.deny) == 1 with input as workspace("file", true)
}

test_default_and_s3_are_denied if {
	count(locked_buildspec_not_inline.deny) == 1 with input as workspace("default", true)
	count(locked_buildspec_not_inline.deny) == 1 with input as workspace("s3", true)
}

test_unlocked_actions_are_free if {
	count(locked_buildspec_not_inline.deny) == 0 with input as workspace("file", false)
}
