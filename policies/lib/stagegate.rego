# Helpers for stagegate policies: ordering of pipeline actions and security gates.
#
# Ordering facts: stages run in list order; inside a stage, actions run by run_order
# ascending (missing means 1) and equal run_order means parallel; array order means nothing.
package stagegate.lib

# Helpers return arrays, not sets: every action is distinct already, and a set of actions
# would compare whole action objects on every insert.

# Every action of every pipeline (an array).
actions := [action |
	some pipeline in input.pipelines
	some stage in pipeline.stages
	some action in stage.actions
]

# Every action of one pipeline (an array).
pipeline_actions(pipeline) := [action |
	some stage in pipeline.stages
	some action in stage.actions
]

# a finishes before b starts: an earlier stage, or the same stage with a strictly lower
# run order. Actions of different pipelines are never ordered.
precedes(a, b) if {
	a.pipeline_index == b.pipeline_index
	# arrays compare element by element: the stage first, then the run order
	[a.stage_index, a.run_order] < [b.stage_index, b.run_order]
}

# The actions of a pipeline that are security gates of a role (sca, sast, secrets, iac).
# A gate that exists only under a CloudFormation condition may not run, so it does not count.
gates(pipeline, role) := [action |
	some stage in pipeline.stages
	some action in stage.actions
	role in action.roles
	not action.conditional
]

# An action that is a security gate of any role.
is_gate(action) if count(action.roles) > 0

# An action that builds or tests code: Build, Test or Compute (V2 Commands, shell on the
# source) category and not itself a gate.
is_build(action) if {
	action.category in {"Build", "Test", "Compute"}
	count(action.roles) == 0
}

# The CodeBuild project an action runs, when it is among the inputs.
project_of(action) := input.projects[action.project]

# Human name of an action: "Stage/Action".
action_label(action) := sprintf("%s/%s", [action.stage, action.name])

# A source ref one key or index below another (the token is escaped as in paths:
# `~` as `~0`, `/` as `~1`, `#` as `~2`). A finding can say the same for less work with
# `{"source": source, "below": [key or index...]}`, which stagegate resolves: building the
# path string costs the policy engine more than the rest of most findings.
child(source, token) := {
	"file": source.file,
	"path": sprintf("%s/%s", [source.path, escape_token(sprintf("%v", [token]))]),
}

escape_token(t) := replace(replace(replace(t, "~", "~0"), "/", "~1"), "#", "~2")

# The source ref a finding's `at` entry points at, `below` applied as stagegate applies it:
# for policy tests that check where a finding lands.
target(at) := {
	"file": at.source.file,
	"path": concat("", array.concat(
		[at.source.path],
		[sprintf("/%s", [escape_token(sprintf("%v", [token]))]) | some token in object.get(at, "below", [])],
	)),
} if {
	is_object(at.source)
} else := at

# A policy parameter from governance data (`data.stagegate.params.<policy id>.<key>`),
# or the default when the platform did not set it.
param(policy_id, key, default_value) := object.get(data.stagegate.params, [policy_id, key], default_value)

# Every buildspec (repo files and inline ones) with its key.
buildspecs contains [key, spec] if {
	some key, spec in input.buildspecs
}
