package stagegate.policies.locked_buildspec_override_test

import data.stagegate.policies.locked_buildspec_override

action(locked, override) := {
	"name": "SCA",
	"stage": "Build",
	"provider": "CodeBuild",
	"locked": locked,
	"project": "p",
	"buildspec_override": override,
	"source": {"file": "t.yaml", "path": "/a"},
}

workspace(act, tasks) := {
	"pipelines": [{"name": "app", "stages": [{"actions": [act]}]}],
	"projects": {"p": {
		"key": "p",
		"name": "platform-sca",
		"buildspec": {"kind": "inline", "document": "t.yaml/b", "source": {"file": "t.yaml", "path": "/b"}},
	}},
	"buildspecs": {"t.yaml/b": {"batch_buildspecs": tasks, "source": {"file": "t.yaml", "path": "/b#"}}},
}

override := {"reason": "BuildspecOverride", "source": {"file": "t.yaml", "path": "/a/Configuration/BuildspecOverride"}}

task := {"reason": "build-list task b", "source": {"file": "t.yaml", "path": "/b#/batch/build-list/1/buildspec"}}

test_a_locked_action_s_override_is_denied_at_the_entry if {
	findings := locked_buildspec_override.deny with input as workspace(action(true, override), [])
	count(findings) == 1
	some f in findings
	f.at[0].source == override.source
	contains(f.message, "sets BuildspecOverride")
}

test_no_override_and_unlocked_actions_pass if {
	count(locked_buildspec_override.deny) == 0 with input as workspace(action(true, null), [])
	count(locked_buildspec_override.deny) == 0 with input as workspace(action(false, override), [])
}

test_a_batch_task_with_its_own_buildspec_is_denied if {
	findings := locked_buildspec_override.deny with input as workspace(action(true, null), [task])
	count(findings) == 1
	some f in findings
	f.at[0].source == task.source
	contains(f.message, "project platform-sca whose inline buildspec has batch build-list task b")
}

test_the_batch_of_an_unlocked_action_passes if {
	count(locked_buildspec_override.deny) == 0 with input as workspace(action(false, null), [task])
}
