# METADATA
# title: Buildspec hides a failing step
# description: |
#   CodeBuild fails a phase when a command exits non-zero. An install, pre_build or build
#   command ending in `|| true`, `|| :`, `|| exit 0` or `; exit 0`, or one that turns off
#   errexit with `set +e`, makes a failing test, scan or compile look green. So does a phase
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

checked_phases := {"install", "pre_build", "build"}

# A command that discards its own failure.
deny contains finding if {
	some spec in input.buildspecs
	# one test over the text of every phase, then the few commands that pass: the phases
	# hold every command, in JSON that escapes none of the searched characters (an input
	# without content is searched command by command)
	regex.match(masking_words, json.marshal(object.get(spec, ["content", "phases"], spec.commands)))
	some command in spec.commands
	command.phase in checked_phases
	is_string(command.text)
	regex.match(command_words, command.text)
	regex.match(masking_any, command.text)
	not in_finally(command)
	construct := masking(command.text)
	finding := {
		"message": sprintf(
			"a command in the %s phase of %s uses `%s`, which ignores a failure instead of failing the build",
			[command.phase, spec_label(spec), construct],
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
	is_object(body)
	is_string(body["on-failure"])
	upper(trim_space(body["on-failure"])) == "CONTINUE"
	finding := {
		"message": sprintf(
			"the %s phase of %s has on-failure: CONTINUE, so the build goes on after it fails",
			[phase, spec_label(spec)],
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
	batch := spec.content.batch
	is_object(batch)
	some list in ["build-list", "build-graph"]
	tasks := batch[list]
	is_array(tasks)
	some i, task in tasks
	is_object(task)
	ignores_failure(task["ignore-failure"])
	finding := {
		"message": sprintf(
			"batch task %s of %s has ignore-failure: true, so the batch succeeds when it fails",
			[task_name(task, list, i), spec_label(spec)],
		),
		"at": [{
			"source": spec.source,
			"below": ["batch", list, i, "ignore-failure"],
			"label": "failure ignored",
		}],
	}
}

# Each construct that discards a failure, with the pattern that finds it, in the order a
# finding names them. The patterns read blanks and word boundaries as the shell does, in
# ASCII (`(?-u)`): bash splits words on no other space.
constructs := [
	["|| true", `(?-u)\|\|\s*true\b`],
	["|| :", `(?-u)(?m)\|\|\s*:\s*($|[;)&|#])`],
	["|| exit 0", `(?-u)\|\|\s*exit\s+0\b`],
	["; exit 0", `(?-u);\s*exit\s+0\b`],
	["set +e", `(?-u)(^|[\s;&|(])set\s+(\+[A-Za-z]*e[A-Za-z]*\b|\+o\s+errexit\b)`],
]

# Any construct, in one search: a command that passes the literal tests without masking
# anything costs one regex automaton rather than one for each construct. A group keeps
# each pattern's flags to itself.
masking_any := concat("|", [sprintf("(?:%s)", [pattern]) | some [_, pattern] in constructs])

# The first construct the command uses.
masking(text) := [name | some [name, pattern] in constructs; regex.match(pattern, text)][0]

# Every construct `masking` finds contains one of these literals (a plain alternation: the
# regex engine runs it as a literal search). JSON escapes none of their characters.
masking_words := `\|\||exit|set`

# The same, closer: `exit` and `set` with the blank that must follow them, so that a
# command such as `trivy fs --exit-code 1` is not searched for every construct.
command_words := concat("|", array.concat(
	[`\|\|`],
	[sprintf("%s%s", [word, blank]) | some word in ["exit", "set"]; some blank in [" ", "\t", "\n", "\r", "\u000b", "\f"]],
))

in_finally(command) if contains(command.source.path, "/finally")

ignores_failure(value) if value == true

ignores_failure(value) if {
	is_string(value)
	lower(trim_space(value)) == "true"
}

task_name(task, list, index) := task.identifier if is_string(task.identifier)

else := sprintf("%s item %d", [list, index])

spec_label(spec) := sprintf("the inline buildspec in %s", [spec.source.file]) if spec.owner == "platform"

else := sprintf("buildspec %s", [spec.source.file])
