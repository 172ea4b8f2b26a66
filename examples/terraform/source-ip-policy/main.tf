# "Restricted" to an office range, but 201.0.0.0/8 is 16.7 million public addresses; and the
# NotIpAddress statement grants everyone except a range. The account-level block is declared but
# leaves public policies allowed.
resource "aws_s3_account_public_access_block" "this" {
  block_public_acls   = true
  ignore_public_acls  = true
  block_public_policy = false
}

resource "aws_s3_bucket" "reports" {
  bucket = "acme-quarterly-reports"
}

resource "aws_s3_bucket_public_access_block" "reports" {
  bucket                  = aws_s3_bucket.reports.id
  block_public_acls       = true
  ignore_public_acls      = true
  block_public_policy     = false
  restrict_public_buckets = false
}

resource "aws_s3_bucket_policy" "reports" {
  bucket = aws_s3_bucket.reports.id
  policy = <<-POLICY
    {
      "Version": "2012-10-17",
      "Statement": [
        {
          "Sid": "OfficeRead",
          "Effect": "Allow",
          "Principal": "*",
          "Action": ["s3:GetObject", "s3:ListBucket"],
          "Resource": ["arn:aws:s3:::acme-quarterly-reports", "arn:aws:s3:::acme-quarterly-reports/*"],
          "Condition": {"IpAddress": {"aws:SourceIp": ["201.0.0.0/8"]}}
        },
        {
          "Sid": "PartnerUpload",
          "Effect": "Allow",
          "Principal": {"AWS": "*"},
          "Action": "s3:PutObject",
          "Resource": "arn:aws:s3:::acme-quarterly-reports/uploads/*",
          "Condition": {"NotIpAddress": {"aws:SourceIp": "10.0.0.0/8"}}
        }
      ]
    }
  POLICY
}
