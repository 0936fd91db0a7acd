// Subjects built from a constant list with .map: every repository, any ref.
const cdk = require('aws-cdk-lib');
const iam = require('aws-cdk-lib/aws-iam');

const REPOSITORIES = ['app', 'infra'];

class MapStack extends cdk.Stack {
  constructor(scope, id) {
    super(scope, id);
    const provider = new iam.OpenIdConnectProvider(this, 'Github', {
      url: 'https://token.actions.githubusercontent.com',
      clientIds: ['sts.amazonaws.com'],
    });
    new iam.Role(this, 'DeployRole', {
      assumedBy: new iam.OpenIdConnectPrincipal(provider, {
        StringEquals: { 'token.actions.githubusercontent.com:aud': 'sts.amazonaws.com' },
        StringLike: {
          'token.actions.githubusercontent.com:sub': REPOSITORIES.map((repo) => `repo:acme/${repo}:*`),
        },
      }),
    });
  }
}

const app = new cdk.App({ outdir: process.env.CDK_OUTDIR });
new MapStack(app, 'Map');
app.synth();
