# METADATA
# title: Buildspec hides a failing step
# description: |
#   CodeBuild fails a phase when a command exits non-zero. An install, pre_build or build
#   command ending in `|| true` (or `|| /bin/true`), `|| :`, `|| echo ...`, `|| exit 0`,
#   `; exit 0` or `; true`, one piped into `tee` without `pipefail` (the pipeline's status is
#   tee's), or one that turns off errexit with `set +e`, makes a failing test, scan or
#   compile look green. So does a phase
#   with `on-failure: CONTINUE`, and a batch build-list or build-graph task with
#   `ignore-failure: true`, which lets the batch succeed when that task fails. `finally`
#   blocks (clean-up) are not checked.
# related_resources:
#   - https://docs.aws.amazon.com/codebuild/latest/userguide/build-spec-ref.html#build-spec.phases
#   - https://docs.aws.amazon.com/codebuild/latest/userguide/batch-build-buildspec.html
# custom:
#   id: buildspec-masked-failure
#   severity: warning
#   remediation: |
#     Let the step fail the build. If a command may legitimately fail, test for that
#     case explicitly instead of discarding every error.
#
#     Before:
#       phases:
#         build:
#           on-failure: CONTINUE
#           commands:
#             - npm test || true
#     After:
#       phases:
#         build:
#           on-failure: ABORT
#           commands:
#             - npm test
package stagegate.policies.buildspec_masked_failure

import data.stagegate.lib

checked_phases := {"install", "pre_build", "build"}

# A command that discards its own failure (`masks` names the construct).
deny contains finding if {
	some spec in input.buildspecs
	some command in spec.commands
	command.phase in checked_phases
	not command.finally
	command.masks != null
	finding := {
		"message": sprintf(
			"a command in the %s phase of %s uses `%s`, which ignores a failure instead of failing the build",
			[command.phase, lib.buildspec_label(spec), command.masks],
		),
		"at": [{"source": command.source, "label": "failure ignored"}],
	}
}

# A phase that goes on after a failure.
deny contains finding if {
	some spec in input.buildspecs
	phases := spec.content.phases
	is_object(phases)
	some phase, body in phases
	is_string(body["on-failure"])
	upper(trim_space(body["on-failure"])) == "CONTINUE"
	finding := {
		"message": sprintf(
			"the %s phase of %s has on-failure: CONTINUE, so the build goes on after it fails",
			[phase, lib.buildspec_label(spec)],
		),
		"at": [{
			"source": spec.source,
			"below": ["phases", phase, "on-failure"],
			"label": "failure ignored",
		}],
	}
}

# A batch task whose failure does not fail the batch.
deny contains finding if {
	some spec in input.buildspecs
	some list in ["build-list", "build-graph"]
	tasks := spec.content.batch[list]
	is_array(tasks)
	some i, task in tasks
	ignores_failure(task["ignore-failure"])
	finding := {
		"message": sprintf(
			"batch task %s of %s has ignore-failure: true, so the batch succeeds when it fails",
			[task_name(task, list, i), lib.buildspec_label(spec)],
		),
		"at": [{
			"source": spec.source,
			"below": ["batch", list, i, "ignore-failure"],
			"label": "failure ignored",
		}],
	}
}

ignores_failure(value) if value == true

ignores_failure(value) if {
	is_string(value)
	lower(trim_space(value)) == "true"
}

task_name(task, list, index) := task.identifier if is_string(task.identifier)

else := sprintf("%s item %d", [list, index])
