// A Deny in the same policy removes the broad grant.
const cdk = require('aws-cdk-lib');
const iam = require('aws-cdk-lib/aws-iam');
class AppStack extends cdk.Stack {
  constructor(scope, id) {
    super(scope, id);
    new iam.ManagedPolicy(this, 'Narrowed', {
      statements: [
        new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: ['arn:aws:s3:::acme-artifacts/*'] }),
        new iam.PolicyStatement({ effect: iam.Effect.DENY, actions: ['s3:DeleteObject'], resources: ['*'] }),
      ],
    });
  }
}

const app = new cdk.App({ outdir: process.env.CDK_OUTDIR });
new AppStack(app, 'AppStack');
app.synth();
