"""iacgate: a pre-deployment security gate for Terraform, CloudFormation and plan JSON."""

__version__ = "0.1.0"
