// CfnRole with a raw trust document whose subject admits every owner.
const cdk = require('aws-cdk-lib');
const iam = require('aws-cdk-lib/aws-iam');
class AppStack extends cdk.Stack {
  constructor(scope, id) {
    super(scope, id);
    new iam.CfnRole(this, 'RawRole', {
      assumeRolePolicyDocument: {
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Principal: { Federated: `arn:aws:iam::${this.account}:oidc-provider/token.actions.githubusercontent.com` },
            Action: 'sts:AssumeRoleWithWebIdentity',
            Condition: {
              StringLike: { 'token.actions.githubusercontent.com:sub': 'repo:acme*' },
              StringEquals: { 'token.actions.githubusercontent.com:aud': 'sts.amazonaws.com' },
            },
          },
        ],
      },
    });
  }
}

const app = new cdk.App({ outdir: process.env.CDK_OUTDIR });
new AppStack(app, 'AppStack');
app.synth();
