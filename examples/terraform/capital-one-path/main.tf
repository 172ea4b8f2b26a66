# The 2019 Capital One pattern: a public web server that answers IMDSv1, whose instance role can
# read a data bucket, with egress open to the internet. An SSRF bug in the web application is enough
# to fetch the role's credentials from http://169.254.169.254/ and read the bucket from anywhere.

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
    sid       = "ReadCustomerData"
    actions   = ["s3:GetObject", "s3:ListBucket"]
    resources = [aws_s3_bucket.customer_data.arn, "${aws_s3_bucket.customer_data.arn}/*"]
  }
}

resource "aws_iam_role_policy" "waf_s3" {
  name   = "s3-read"
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
    from_port   = 0
    to_port     = 0
    protocol    = "-1"
    cidr_blocks = ["0.0.0.0/0"]
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
  # no metadata_options: instances answer IMDSv1 (tokens optional) unless something else says otherwise
}

resource "aws_instance" "waf" {
  associate_public_ip_address = true

  launch_template {
    id      = aws_launch_template.waf.id
    version = "$Latest"
  }
}
