/** Loads every resource module into the registries. Import this before using them. */
import './s3-bucket/index.ts';
import './asg/index.ts';
import './ebs-snapshot/index.ts';
import './ec2-instance/index.ts';
import './nat-gateway/index.ts';
import './ebs-volume/index.ts';
import './elastic-ip/index.ts';
import './log-group/index.ts';
import './load-balancer/index.ts';
import './rds-instance/index.ts';
import './lambda-function/index.ts';
import './dynamodb-table/index.ts';
import './elasticache-cluster/index.ts';

export { resourceTypes, detectors, remediators } from './registry.ts';
