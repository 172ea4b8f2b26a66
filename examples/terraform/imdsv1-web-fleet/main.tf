# A web fleet whose launch template says nothing about the metadata service, so instances answer
# IMDSv1 (a plain GET) - the first hop of an SSRF-to-credentials attack.
variable "ami_id" {
  type    = string
  default = "ami-0c55b159cbfafe1f0"
}

resource "aws_launch_template" "web" {
  name_prefix   = "web-"
  image_id      = var.ami_id
  instance_type = "t3.small"
}

resource "aws_autoscaling_group" "web" {
  name             = "web"
  min_size         = 2
  max_size         = 6
  desired_capacity = 2
  availability_zones = ["eu-west-1a", "eu-west-1b"]

  launch_template {
    id      = aws_launch_template.web.id
    version = "$Latest"
  }
}

resource "aws_instance" "bastion" {
  ami           = var.ami_id
  instance_type = "t3.micro"

  metadata_options {
    http_endpoint               = "enabled"
    http_tokens                 = "optional"
    http_put_response_hop_limit = 3
  }
}
