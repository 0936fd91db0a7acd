// A provider created in the stack, a role that checks only the audience.
const cdk = require('aws-cdk-lib');
const iam = require('aws-cdk-lib/aws-iam');
class AppStack extends cdk.Stack {
  constructor(scope, id) {
    super(scope, id);
    const provider = new iam.OpenIdConnectProvider(this, 'GithubProvider', {
      url: 'https://token.actions.githubusercontent.com',
      clientIds: ['sts.amazonaws.com'],
    });
    new iam.Role(this, 'OpenRole', {
      assumedBy: new iam.WebIdentityPrincipal(provider.openIdConnectProviderArn, {
        StringEquals: { 'token.actions.githubusercontent.com:aud': 'sts.amazonaws.com' },
      }),
    });
  }
}

const app = new cdk.App({ outdir: process.env.CDK_OUTDIR });
new AppStack(app, 'AppStack');
app.synth();
