# The same web tier as capital-one-path, with the first link of the chain broken: instances require
# IMDSv2 session tokens and the token cannot leave the instance (hop limit 1), so an SSRF bug that
# can only send GET requests never reaches the role's credentials. Egress is narrowed to HTTPS inside
# the VPC (a proxy or VPC endpoints), and the role reads only the prefix the application needs.

resource "aws_s3_bucket" "customer_data" {
  bucket = "example-corp-customer-data"
}

resource "aws_s3_bucket_public_access_block" "customer_data" {
  bucket                  = aws_s3_bucket.customer_data.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_ec2_instance_metadata_defaults" "region" {
  http_tokens                 = "required"
  http_put_response_hop_limit = 1
}

resource "aws_iam_role" "waf" {
  name = "waf-web"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "ec2.amazonaws.com" }
      Action    = "sts:AssumeRole"
    }]
  })
}

data "aws_iam_policy_document" "waf_s3" {
  statement {
    sid       = "ReadTemplates"
    actions   = ["s3:GetObject"]
    resources = ["${aws_s3_bucket.customer_data.arn}/web-templates/*"]
  }
}

resource "aws_iam_role_policy" "waf_s3" {
  name   = "s3-read-templates"
  role   = aws_iam_role.waf.id
  policy = data.aws_iam_policy_document.waf_s3.json
}

resource "aws_iam_instance_profile" "waf" {
  name = "waf-web"
  role = aws_iam_role.waf.name
}

resource "aws_security_group" "waf" {
  name        = "waf-web"
  description = "Public web tier"

  ingress {
    from_port   = 443
    to_port     = 443
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
  }

  egress {
    description = "HTTPS to the egress proxy and VPC endpoints"
    from_port   = 443
    to_port     = 443
    protocol    = "tcp"
    cidr_blocks = ["10.0.0.0/16"]
  }
}

resource "aws_launch_template" "waf" {
  name          = "waf-web"
  image_id      = "ami-0c55b159cbfafe1f0"
  instance_type = "t3.small"

  iam_instance_profile {
    name = aws_iam_instance_profile.waf.name
  }
  vpc_security_group_ids = [aws_security_group.waf.id]

  metadata_options {
    http_endpoint               = "enabled"
    http_tokens                 = "required"
    http_put_response_hop_limit = 1
  }
}

resource "aws_instance" "waf" {
  associate_public_ip_address = true

  launch_template {
    id      = aws_launch_template.waf.id
    version = "$Latest"
  }
}
