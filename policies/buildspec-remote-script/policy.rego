# METADATA
# title: Buildspec runs a script downloaded during the build
# description: |
#   A command that pipes `curl` or `wget` output into a shell (`curl ... | sh`,
#   `wget -qO- ... | sudo bash`), runs it through process substitution
#   (`bash <(curl ...)`, `sh -c "$(curl ...)"`), or downloads a script and sources it in
#   the same command (`curl -o x.sh ... && . ./x.sh`) executes whatever the remote server
#   returns at that moment, with the build's role and secrets. A compromised or changed
#   download runs unchecked, and the build cannot be reproduced.
# related_resources:
#   - https://docs.aws.amazon.com/codebuild/latest/userguide/build-spec-ref.html
#   - https://docs.aws.amazon.com/codebuild/latest/userguide/build-env-ref-cmd.html
# custom:
#   id: buildspec-remote-script
#   severity: warning
#   remediation: |
#     Install the tool from a package manager or a pinned release, or download the script
#     to a file, verify its checksum, then run it. Better still, bake it into the build
#     image.
#
#     Before:
#       commands:
#         - curl -fsSL https://example.com/install.sh | bash
#     After:
#       commands:
#         - curl -fsSLo install.sh https://example.com/v1.4.2/install.sh
#         - echo "3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855  install.sh" | sha256sum -c -
#         - bash install.sh
package stagegate.policies.buildspec_remote_script

deny contains finding if {
	some spec in input.buildspecs
	# one test over the text of every phase first, as most buildspecs download nothing:
	# the phases hold every command, in JSON that escapes none of the searched characters
	# (an input without content is searched command by command)
	regex.match(`curl|wget`, json.marshal(object.get(spec, ["content", "phases"], spec.commands)))
	some command in spec.commands
	is_string(command.text)
	regex.match(`curl|wget`, command.text)
	regex.match(executes_any, command.text)
	how := remote_execution(command.text)
	finding := {
		"message": sprintf(
			"a command in the %s phase of %s %s, so whatever the server returns runs in the build",
			[command.phase, spec_label(spec), how],
		),
		"at": [{"source": command.source, "label": "runs a downloaded script"}],
	}
}

# Each way of running a download, with the pattern that finds it, in the order a finding
# names them.
executions := [
	["pipes a download into a shell", `(?s)\b(curl|wget)\b.*\|\s*(sudo\s+(-\S+\s+)*)?(env\s+(\S+=\S*\s+)*)?(ba|z|k|da)?sh\b`],
	["runs a download through process substitution", `(^|[\s;&|(])(ba|z|k|da)?sh\s+(-\S+\s+)*<\(\s*(curl|wget)\b`],
	["sources a download through process substitution", `(^|[\s;&|(])(source|\.)\s+<\(\s*(curl|wget)\b`],
	["runs a download with sh -c", `(^|[\s;&|(])(ba|z|k|da)?sh\s+-c\s+["']?\$\(\s*(curl|wget)\b`],
	["downloads a script and sources it", `(?s)\b(curl|wget)\b.*(;|&&|\|\||\n)\s*(source|\.)\s+[^\s;&|]`],
]

# Any of them, in one search: a command that downloads without running what it fetched
# (`curl -o tool.tgz ...`) costs one regex automaton rather than one for each way. A group
# keeps each pattern's flags to itself.
executes_any := concat("|", [sprintf("(?:%s)", [pattern]) | some [_, pattern] in executions])

# The first way the command runs a download.
remote_execution(text) := [how | some [how, pattern] in executions; regex.match(pattern, text)][0]

spec_label(spec) := sprintf("the inline buildspec in %s", [spec.source.file]) if spec.owner == "platform"

else := sprintf("buildspec %s", [spec.source.file])
