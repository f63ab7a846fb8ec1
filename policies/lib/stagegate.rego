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

# The verified security gates of a role (sca, sast, secrets, iac) in a pipeline. An action
# is a gate only when stagegate verified it (`roles`): governance data names it, it is an
# AWS-managed scanner, or its platform-owned buildspec runs a scanner that can fail the
# build. Names alone never make a gate (they show in `claimed_roles`).
gates(pipeline, role) := [action |
	some stage in pipeline.stages
	some action in stage.actions
	role in action.roles
]

# An action that is a verified security gate of any role.
is_gate(action) if count(action.roles) > 0

# An action that is a verified gate, or claims to be one (by its name or commands) without
# being verified: for policies about where gates are placed.
is_or_claims_gate(action) if count(action.roles) > 0

is_or_claims_gate(action) if count(object.get(action, "claimed_roles", [])) > 0

# An action that runs code for ordering purposes: a Build, Test or Compute action that is
# not a verified gate, whatever its name (computed by stagegate as `is_build`).
is_build(action) if action.is_build

# A Deploy action, whatever its name.
is_deploy(action) if action.is_deploy

# gate protects action: the gate finishes before the action starts, runs whenever the
# action runs (each of its conditions, such as a skippable stage or an Fn::If branch, is
# one of the action's too), and reads every source the action builds from.
protects(gate, action) if {
	precedes(gate, action)
	every condition in gate.conditions {
		condition in action.conditions
	}
	every artifact in action.source_artifacts {
		artifact in scanned(gate)
	}
}

# The sources a gate's commands work on (its primary input's, when it has several).
scanned(gate) := object.get(gate, "scanned_artifacts", gate.source_artifacts)

# Why a gate does not protect an action, in words, for messages.
unprotected_because(gate, action) := "they run in parallel (same RunOrder)" if {
	gate.stage_index == action.stage_index
	gate.run_order == action.run_order
} else := "the gate has a higher RunOrder" if {
	gate.stage_index == action.stage_index
	gate.run_order > action.run_order
} else := "the gate is in a later stage" if {
	gate.stage_index > action.stage_index
} else := sprintf("the gate may not run when it does: %s", [concat(", ", [describe_condition(c) | some c in missing_conditions(gate, action)])]) if {
	count(missing_conditions(gate, action)) > 0
} else := sprintf("the gate does not read %s, which it builds from", [concat(", ", missing_sources(gate, action))])

describe_condition(c) := sprintf("stage %s can be skipped", [substring(c, 5, -1)]) if startswith(c, "skip:")

else := sprintf("it exists only when condition %s is false", [substring(c, 1, -1)]) if startswith(c, "!")

else := sprintf("it exists only when condition %s is true", [c])

missing_conditions(gate, action) := [c |
	some c in gate.conditions
	not c in action.conditions
]

missing_sources(gate, action) := [a |
	some a in action.source_artifacts
	not a in scanned(gate)
]

# The evidence that an action claims a role it was not verified for, with why not.
refused_claims(action, role) := [e |
	some e in action.gate_evidence
	e.role == role
	not e.accepted
]

# The CodeBuild project an action runs, when it is among the inputs.
project_of(action) := input.projects[action.project]

# Human name of a buildspec: where it is written.
buildspec_label(spec) := sprintf("the inline buildspec in %s", [spec.source.file]) if spec.owner == "platform"

else := sprintf("buildspec %s", [spec.source.file])

# Human name of a CodeBuild project: its name, else its logical id, else its key.
project_label(project) := project.name if is_string(project.name)

else := project.logical_id if is_string(project.logical_id)

else := project.key

# Human name of an action: "Stage/Action".
action_label(action) := sprintf("%s/%s", [action.stage, action.name])

# The first n elements of an array: a finding names a few places, not thousands.
first(list, n) := array.slice(list, 0, n)

# The labels of up to n actions, and how many more there are.
labels(actions, n) := concat(", ", [action_label(a) | some a in first(actions, n)]) if {
	count(actions) <= n
} else := sprintf("%s and %d more", [
	concat(", ", [action_label(a) | some a in first(actions, n)]),
	count(actions) - n,
])

# A source ref one key or index below another (the token is escaped as in paths:
# `~` as `~0`, `/` as `~1`, `#` as `~2`). In a finding, `{"source": source, "below": [key
# or index...]}` says the same more simply.
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
