// A GitHub OIDC role whose subject admits every repository of the owner.
const cdk = require('aws-cdk-lib');
const iam = require('aws-cdk-lib/aws-iam');

const GITHUB = 'token.actions.githubusercontent.com';
const SUBJECT = 'repo:acme/*';

class DeployStack extends cdk.Stack {
  constructor(scope, id) {
    super(scope, id);
    const provider = new iam.OpenIdConnectProvider(this, 'GithubProvider', {
      url: `https://${GITHUB}`,
      clientIds: ['sts.amazonaws.com'],
    });
    new iam.Role(this, 'DeployRole', {
      assumedBy: new iam.WebIdentityPrincipal(provider.openIdConnectProviderArn, {
        StringLike: { [`${GITHUB}:sub`]: SUBJECT },
        StringEquals: { [`${GITHUB}:aud`]: 'sts.amazonaws.com' },
      }),
    });
  }
}

const app = new cdk.App({ outdir: process.env.CDK_OUTDIR });
new DeployStack(app, 'Deploy');
app.synth();
