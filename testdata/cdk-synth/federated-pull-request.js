// FederatedPrincipal with the web identity action, trusting pull requests.
const cdk = require('aws-cdk-lib');
const iam = require('aws-cdk-lib/aws-iam');
class AppStack extends cdk.Stack {
  constructor(scope, id) {
    super(scope, id);
    new iam.Role(this, 'PreviewRole', {
      assumedBy: new iam.FederatedPrincipal(
        `arn:aws:iam::${this.account}:oidc-provider/token.actions.githubusercontent.com`,
        {
          StringEquals: {
            'token.actions.githubusercontent.com:aud': 'sts.amazonaws.com',
            'token.actions.githubusercontent.com:sub': 'repo:acme/app:pull_request',
          },
        },
        'sts:AssumeRoleWithWebIdentity',
      ),
    });
  }
}

const app = new cdk.App({ outdir: process.env.CDK_OUTDIR });
new AppStack(app, 'AppStack');
app.synth();
