package stagegate.policies.locked_environment_override_test

import data.stagegate.policies.locked_environment_override

workspace(locked, overrides) := {"pipelines": [{"stages": [{"actions": [{
	"name": "SCA",
	"stage": "Build",
	"locked": locked,
	"environment_overrides": overrides,
	"source": {"file": "p.yaml", "path": "/a"},
}]}]}]}

bash_env := {"name": "BASH_ENV", "value": "./evil.sh", "type": "PLAINTEXT", "source": {"file": "p.yaml", "path": "/a/Configuration/EnvironmentVariables"}}

test_an_override_on_a_locked_action_is_denied if {
	denied := locked_environment_override.deny with input as workspace(true, [bash_env])
	count(denied) == 1
	some f in denied
	contains(f.message, "BASH_ENV")
}

test_unlocked_actions_may_set_anything if {
	count(locked_environment_override.deny) == 0 with input as workspace(false, [bash_env])
}
