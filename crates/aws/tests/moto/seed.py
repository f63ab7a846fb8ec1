#!/usr/bin/env python3
"""Seed a moto server with an AWS organization for the live-sweep tests.

Usage:
    seed.py --endpoint http://127.0.0.1:5055 --fixtures /work/main/fixtures/e2e [--reset]
            [--enforce-auth [--deny MEMBER:ACTION ...] [--bar MEMBER ...]]

Run it with the python of a virtual environment that has the packages of
requirements.txt (beside this file) installed. It only talks to the given
endpoint, with dummy credentials.

What it builds, starting from a fresh moto server:

  * an organization (feature set ALL) owned by moto's default account,
    123456789012, which is the management account and holds nothing else;
  * member account 1: us-east-1 compliant pipeline, eu-west-1 violating one;
  * member account 2: us-east-1 violating pipeline, eu-west-1 compliant one;
  * a third member account that is closed right away, so that ListAccounts
    reports it as SUSPENDED (the sweep must skip it).

"Compliant" is fixtures/e2e/get-pipeline-compliant, "violating" is
fixtures/e2e/get-pipeline: each holds pipeline.json (a get-pipeline response)
and projects.json (a batch-get-projects response). Account 111122223333 and
region eu-west-1 in those files are rewritten to the target account and region.

Member accounts are reached the way the sweep reaches them: by assuming
OrganizationAccountAccessRole from the management account.

By default moto checks no permissions at all. With --enforce-auth the script
finishes by turning moto's IAM enforcement on, for every later request:

  * the dummy "testing" credentials stop working (moto answers 403);
  * an IAM user stagegate-sweeper in the management account, allowed
    everything, is the way in: its keys are printed under "sweeper";
  * each member's OrganizationAccountAccessRole is allowed everything, except
    the actions named with --deny, e.g. --deny 2:codepipeline:ListPipelines
    makes that call fail with 403 AccessDenied in member account 2 (in every
    region: moto cannot scope a denial to a region);
  * the closed account's access role has no policy, so everything is denied;
  * --bar 1 denies the sweeper sts:AssumeRole on member account 1's access
    role, so that account cannot be entered at all.

On success one JSON object is printed to stdout:
    {"management": "123456789012",
     "accounts": [{"id": ..., "name": ..., "status": ...}, ...],
     "seeded": [{"account": ..., "region": ..., "pipeline": ..., "kind": ...}, ...],
     "sweeper": {"access_key_id": ..., "secret_access_key": ...}}   (--enforce-auth only)
Progress goes to stderr. Any failure exits with status 1 and a message.

moto keeps everything in memory, so running this twice against the same
server fails (the organization exists already); pass --reset to wipe the
server first, or restart it.
"""

import argparse
import json
import os
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import boto3
import botocore.config
import botocore.exceptions

MANAGEMENT_ACCOUNT = "123456789012"  # moto's default account
FIXTURE_ACCOUNT = "111122223333"
FIXTURE_REGION = "eu-west-1"
GLOBAL_REGION = "us-east-1"  # where the global services (IAM, STS, Organizations) are called
ACCESS_ROLE = "OrganizationAccountAccessRole"
SWEEPER_USER = "stagegate-sweeper"

FIXTURE_DIRS = {
    "compliant": "get-pipeline-compliant",
    "violating": "get-pipeline",
}

# Which fixture goes where, per member account (1-based) and region.
LAYOUT = {
    1: {"us-east-1": "compliant", "eu-west-1": "violating"},
    2: {"us-east-1": "violating", "eu-west-1": "compliant"},
}

MEMBER_NAMES = {1: "stagegate-member-1", 2: "stagegate-member-2"}
CLOSED_NAME = "stagegate-closed"

# Fail fast instead of retrying against a server that is not there.
CLIENT_CONFIG = botocore.config.Config(
    retries={"mode": "standard", "max_attempts": 2},
    connect_timeout=5,
    read_timeout=30,
)


class SeedError(Exception):
    """A failure with a message meant for the person running the script."""


def log(message):
    print(f"seed.py: {message}", file=sys.stderr)


def use_dummy_credentials():
    """Make sure nothing from the caller's AWS setup is picked up."""
    for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN",
                 "AWS_ENDPOINT_URL", "AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE"):
        os.environ.pop(name, None)
    os.environ["AWS_ACCESS_KEY_ID"] = "testing"
    os.environ["AWS_SECRET_ACCESS_KEY"] = "testing"
    os.environ["AWS_CONFIG_FILE"] = os.devnull
    os.environ["AWS_SHARED_CREDENTIALS_FILE"] = os.devnull
    os.environ["AWS_EC2_METADATA_DISABLED"] = "true"


class Account:
    """boto3 clients for one account, all pointed at the moto endpoint."""

    def __init__(self, endpoint, account_id, credentials=None):
        self.endpoint = endpoint
        self.id = account_id
        if credentials is None:
            self.session = boto3.Session(
                aws_access_key_id="testing", aws_secret_access_key="testing")
        else:
            self.session = boto3.Session(
                aws_access_key_id=credentials["AccessKeyId"],
                aws_secret_access_key=credentials["SecretAccessKey"],
                aws_session_token=credentials["SessionToken"])

    def client(self, service, region=GLOBAL_REGION):
        return self.session.client(service, region_name=region,
                                   endpoint_url=self.endpoint, config=CLIENT_CONFIG)


def moto_api(endpoint, path, body=b""):
    """POST to one of moto's own endpoints (not an AWS API)."""
    # text/plain: with a form content type moto would not see the body.
    request = urllib.request.Request(f"{endpoint}/moto-api/{path}", data=body,
                                     method="POST", headers={"Content-Type": "text/plain"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            response.read()
    except (urllib.error.URLError, OSError) as error:
        raise SeedError(f"POST {endpoint}/moto-api/{path} failed: {error}") from error


def reset_server(endpoint):
    moto_api(endpoint, "reset-auth", b"inf")  # permissions off, as on a fresh server
    moto_api(endpoint, "reset")
    log("reset the moto server")


# ---------------------------------------------------------------- fixtures

def load_fixture(fixtures_dir, kind):
    """Return (pipeline declaration, list of projects) as JSON text templates."""
    directory = Path(fixtures_dir) / FIXTURE_DIRS[kind]
    try:
        pipeline_text = (directory / "pipeline.json").read_text()
        projects_text = (directory / "projects.json").read_text()
    except OSError as error:
        raise SeedError(f"cannot read the {kind} fixture: {error}") from error
    return pipeline_text, projects_text


def localise(text, account_id, region):
    """Parse a fixture after moving it to the target account and region."""
    text = text.replace(FIXTURE_ACCOUNT, account_id).replace(FIXTURE_REGION, region)
    return json.loads(text)


def role_name(role_arn):
    return role_arn.rsplit("/", 1)[-1]


def roles_needed(pipeline, projects):
    """Map each role the fixture refers to onto the service that assumes it."""
    roles = {role_name(pipeline["roleArn"]): "codepipeline.amazonaws.com"}
    for project in projects:
        roles[role_name(project["serviceRole"])] = "codebuild.amazonaws.com"
    for stage in pipeline["stages"]:
        for action in stage["actions"]:
            action_role = action.get("configuration", {}).get("RoleArn")
            if action_role and action["actionTypeId"]["provider"] == "CloudFormation":
                roles[role_name(action_role)] = "cloudformation.amazonaws.com"
    return roles


def create_project_request(codebuild, project):
    """Keep the fields of a batch-get-projects entry that CreateProject accepts."""
    accepted = codebuild.meta.service_model.operation_model("CreateProject").input_shape.members
    request = {key: value for key, value in project.items() if key in accepted}
    if "badge" in project:
        request["badgeEnabled"] = project["badge"].get("badgeEnabled", False)
    # moto insists on a location for every source and artifacts type, although
    # AWS takes none for CODEPIPELINE; give it a placeholder.
    for field in ("source", "artifacts"):
        if request.get(field, {}).get("type") == "CODEPIPELINE":
            request[field] = dict(request[field])
            request[field].setdefault("location", "CODEPIPELINE")
    return request


# ---------------------------------------------------------------- organization

def create_organization(management):
    organizations = management.client("organizations")
    try:
        organizations.create_organization(FeatureSet="ALL")
    except organizations.exceptions.AlreadyInOrganizationException as error:
        raise SeedError(
            "the moto server already has an organization (was seed.py run "
            "twice?); restart moto_server or pass --reset") from error
    organization = organizations.describe_organization()["Organization"]
    if organization["MasterAccountId"] != MANAGEMENT_ACCOUNT:
        raise SeedError(f"unexpected management account {organization['MasterAccountId']}")
    log(f"created organization {organization['Id']}")
    return organizations


def create_account(organizations, name, timeout_seconds=30):
    status = organizations.create_account(
        AccountName=name, Email=f"{name}@example.com")["CreateAccountStatus"]
    deadline = time.monotonic() + timeout_seconds
    while status["State"] == "IN_PROGRESS":
        if time.monotonic() > deadline:
            raise SeedError(f"account {name} still IN_PROGRESS after {timeout_seconds}s")
        time.sleep(0.5)
        status = organizations.describe_create_account_status(
            CreateAccountRequestId=status["Id"])["CreateAccountStatus"]
    if status["State"] != "SUCCEEDED":
        raise SeedError(f"creating account {name} ended {status['State']}: "
                        f"{status.get('FailureReason', 'no reason given')}")
    log(f"created account {name} = {status['AccountId']}")
    return status["AccountId"]


def list_accounts(organizations):
    accounts = []
    for page in organizations.get_paginator("list_accounts").paginate():
        for account in page["Accounts"]:
            accounts.append({"id": account["Id"], "name": account["Name"],
                             "status": account["Status"]})
    return accounts


def assume_access_role(management, account_id):
    role_arn = f"arn:aws:iam::{account_id}:role/{ACCESS_ROLE}"
    credentials = management.client("sts").assume_role(
        RoleArn=role_arn, RoleSessionName="stagegate-seed")["Credentials"]
    member = Account(management.endpoint, account_id, credentials)
    seen = member.client("sts").get_caller_identity()["Account"]
    if seen != account_id:
        raise SeedError(f"assumed {role_arn} but the credentials belong to {seen}")
    return member


# ---------------------------------------------------------------- member accounts

def create_roles(member, roles):
    iam = member.client("iam")
    for name, service in sorted(roles.items()):
        trust = {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow",
                           "Principal": {"Service": service},
                           "Action": "sts:AssumeRole"}],
        }
        iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))
        log(f"  {member.id}: role {name} trusted by {service}")


def seed_region(member, region, pipeline, projects):
    codebuild = member.client("codebuild", region)
    for project in projects:
        codebuild.create_project(**create_project_request(codebuild, project))
        log(f"  {member.id} {region}: project {project['name']}")

    declaration = dict(pipeline)
    declaration.pop("version", None)  # a new pipeline always starts at version 1
    codepipeline = member.client("codepipeline", region)
    codepipeline.create_pipeline(pipeline=declaration)
    log(f"  {member.id} {region}: pipeline {declaration['name']}")


def seed_member(member, layout, fixtures):
    """Create the roles once (IAM is global), then each region's resources."""
    plans = []
    roles = {}
    for region, kind in layout.items():
        pipeline_text, projects_text = fixtures[kind]
        pipeline = localise(pipeline_text, member.id, region)["pipeline"]
        projects = localise(projects_text, member.id, region)["projects"]
        roles.update(roles_needed(pipeline, projects))
        plans.append((region, kind, pipeline, projects))

    create_roles(member, roles)
    seeded = []
    for region, kind, pipeline, projects in plans:
        seed_region(member, region, pipeline, projects)
        seeded.append({"account": member.id, "region": region,
                       "pipeline": pipeline["name"], "kind": kind})
    return seeded


# ---------------------------------------------------------------- permissions

def policy(*statements):
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


ALLOW_ALL = {"Effect": "Allow", "Action": "*", "Resource": "*"}


def create_sweeper(management, barred_accounts):
    """The sweep's user: allowed everything, but entering the barred accounts."""
    statements = [ALLOW_ALL]
    if barred_accounts:
        statements.append({
            "Effect": "Deny", "Action": "sts:AssumeRole",
            "Resource": [f"arn:aws:iam::{a}:role/{ACCESS_ROLE}" for a in barred_accounts]})
    iam = management.client("iam")
    iam.create_user(UserName=SWEEPER_USER)
    iam.put_user_policy(UserName=SWEEPER_USER, PolicyName="allow-all",
                        PolicyDocument=policy(*statements))
    key = iam.create_access_key(UserName=SWEEPER_USER)["AccessKey"]
    log(f"created user {SWEEPER_USER}")
    return {"access_key_id": key["AccessKeyId"],
            "secret_access_key": key["SecretAccessKey"]}


def grant_access_role(member, denied_actions):
    statements = [ALLOW_ALL]
    if denied_actions:
        statements.append({"Effect": "Deny", "Action": sorted(denied_actions),
                           "Resource": "*"})
    member.client("iam").put_role_policy(RoleName=ACCESS_ROLE, PolicyName="sweep",
                                         PolicyDocument=policy(*statements))
    log(f"  {member.id}: {ACCESS_ROLE} allowed all"
        + (f" but {', '.join(sorted(denied_actions))}" if denied_actions else ""))


def parse_denials(values):
    """--deny 2:codepipeline:ListPipelines -> {2: {"codepipeline:ListPipelines"}}"""
    denials = {number: set() for number in MEMBER_NAMES}
    for value in values:
        number, _, action = value.partition(":")
        if not number.isdigit() or int(number) not in denials or ":" not in action:
            raise SeedError(f"--deny {value!r}: expected MEMBER:SERVICE:Action "
                            f"with MEMBER one of {sorted(denials)}")
        denials[int(number)].add(action)
    return denials


# ---------------------------------------------------------------- main

def seed(endpoint, fixtures_dir, enforce_auth=False, denials=None, barred=()):
    fixtures = {kind: load_fixture(fixtures_dir, kind) for kind in FIXTURE_DIRS}

    management = Account(endpoint, MANAGEMENT_ACCOUNT)
    try:
        seen = management.client("sts").get_caller_identity()["Account"]
    except botocore.exceptions.ClientError as error:
        raise SeedError(
            f"moto refuses the dummy credentials ({error}); it probably enforces "
            "permissions from an earlier --enforce-auth run: pass --reset") from error
    if seen != MANAGEMENT_ACCOUNT:
        raise SeedError(f"the dummy credentials belong to {seen}, not {MANAGEMENT_ACCOUNT}")

    organizations = create_organization(management)
    members = {number: create_account(organizations, name)
               for number, name in MEMBER_NAMES.items()}
    closed = create_account(organizations, CLOSED_NAME)
    organizations.close_account(AccountId=closed)
    log(f"closed account {CLOSED_NAME} = {closed}")

    seeded = []
    for number, account_id in members.items():
        member = assume_access_role(management, account_id)
        seeded += seed_member(member, LAYOUT[number], fixtures)
        if enforce_auth:
            grant_access_role(member, denials[number])

    result = {
        "management": MANAGEMENT_ACCOUNT,
        "accounts": list_accounts(organizations),
        "seeded": seeded,
    }
    if enforce_auth:
        result["sweeper"] = create_sweeper(management, [members[n] for n in barred])
        moto_api(endpoint, "reset-auth", b"0")  # check every request from now on
        log("moto now enforces IAM permissions")
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--endpoint", required=True,
                        help="moto server URL, e.g. http://127.0.0.1:5055")
    parser.add_argument("--fixtures", required=True,
                        help="the fixtures/e2e directory of the repository")
    parser.add_argument("--reset", action="store_true",
                        help="wipe all state of the moto server first")
    parser.add_argument("--enforce-auth", action="store_true",
                        help="end by turning moto's IAM permission checks on")
    parser.add_argument("--deny", action="append", default=[], metavar="MEMBER:ACTION",
                        help="with --enforce-auth: deny ACTION (e.g. "
                             "codepipeline:ListPipelines) in member account 1 or 2")
    parser.add_argument("--bar", action="append", default=[], type=int, metavar="MEMBER",
                        help="with --enforce-auth: the sweeper may not assume the access "
                             "role of member account 1 or 2")
    args = parser.parse_args()
    endpoint = args.endpoint.rstrip("/")
    if (args.deny or args.bar) and not args.enforce_auth:
        parser.error("--deny and --bar need --enforce-auth")
    if any(n not in MEMBER_NAMES for n in args.bar):
        parser.error(f"--bar takes a member number, one of {sorted(MEMBER_NAMES)}")

    use_dummy_credentials()
    try:
        denials = parse_denials(args.deny)
        if args.reset:
            reset_server(endpoint)
        result = seed(endpoint, args.fixtures, args.enforce_auth, denials, args.bar)
    except SeedError as error:
        log(f"error: {error}")
        return 1
    except botocore.exceptions.EndpointConnectionError as error:
        log(f"error: cannot reach moto at {endpoint}: {error}")
        return 1
    except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as error:
        log(f"error: {error}")
        return 1
    except (KeyError, ValueError) as error:
        log(f"error: unexpected fixture or response content: {error!r}")
        return 1

    json.dump(result, sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
