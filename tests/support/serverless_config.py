"""serverless.yml as data: a YAML loader for CloudFormation's short tags, shared by the deployment tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

SERVERLESS_YML = Path(__file__).resolve().parents[2] / "serverless.yml"


class CloudFormationLoader(yaml.SafeLoader):
    """A safe YAML loader that reads !Ref, !GetAtt, !Sub... as their long forms ({"Ref": ...}, {"Fn::Sub": ...})."""


def _intrinsic(name: str):
    def construct(loader: yaml.SafeLoader, node: yaml.Node) -> dict[str, Any]:
        if isinstance(node, yaml.ScalarNode):
            value: Any = loader.construct_scalar(node)
            if name == "Fn::GetAtt":
                value = value.split(".", 1)
        elif isinstance(node, yaml.SequenceNode):
            value = loader.construct_sequence(node, deep=True)
        else:
            value = loader.construct_mapping(node, deep=True)
        return {name: value}
    return construct


CloudFormationLoader.add_constructor("!Ref", _intrinsic("Ref"))
for _tag in ("GetAtt", "Sub", "Join", "Select", "Split", "If", "Equals", "ImportValue", "FindInMap", "Base64"):
    CloudFormationLoader.add_constructor(f"!{_tag}", _intrinsic(f"Fn::{_tag}"))


def load_config() -> dict[str, Any]:
    """serverless.yml parsed, with Serverless's ${...} variables left as they are written."""
    return yaml.load(SERVERLESS_YML.read_text(), Loader=CloudFormationLoader)


def public_read_statements(bucket: str) -> list[dict[str, Any]]:
    """The audio bucket policy's Allow statements, for a real bucket name (as CloudFormation would resolve them)."""
    policy = load_config()["resources"]["Resources"]["AudioBucketPolicy"]["Properties"]["PolicyDocument"]
    arn = f"arn:aws:s3:::{bucket}"
    return [{**s, "Resource": s["Resource"]["Fn::Sub"].replace("${AudioBucket.Arn}", arn)}
            for s in policy["Statement"] if s["Effect"] == "Allow"]
