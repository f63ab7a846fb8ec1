# METADATA
# title: Buildspec runs a script downloaded during the build
# description: |
#   A command that pipes `curl` or `wget` output into a shell or an interpreter
#   (`curl ... | sh`, `wget -qO- ... | sudo bash`, `curl ... | python3`), runs it through
#   process substitution (`bash <(curl ...)`, `sh -c "$(curl ...)"`), evaluates it
#   (`eval "$(curl ...)"`), or downloads a script that it or a later command runs or
#   sources with no checksum or signature check in between (`curl -o x.sh ...`, then
#   `bash x.sh`, `./x.sh` or `. ./x.sh`) executes whatever the remote server returns at
#   that moment, with the build's role and secrets. A compromised or changed download runs
#   unchecked, and the build cannot be reproduced. Unpacking a downloaded release and
#   running the program inside it is not reported.
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
#         - echo "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855  install.sh" | sha256sum -c -
#         - bash install.sh
package stagegate.policies.buildspec_remote_script

import data.stagegate.lib

# A command that runs what it downloads (`runs_download` says how).
deny contains finding if {
	some spec in input.buildspecs
	some command in spec.commands
	command.runs_download != null
	finding := {
		"message": sprintf(
			"a command in the %s phase of %s %s, so whatever the server returns runs in the build",
			[command.phase, lib.buildspec_label(spec), command.runs_download],
		),
		"at": [{"source": command.source, "label": "runs a downloaded script"}],
	}
}
