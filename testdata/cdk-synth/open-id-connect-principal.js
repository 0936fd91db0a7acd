// OpenIdConnectPrincipal on a provider of the app: one role with conditions
// from a constant (any owner), one with none (missing sub and aud).
const cdk = require('aws-cdk-lib');
const iam = require('aws-cdk-lib/aws-iam');

const DOMAIN = 'token.actions.githubusercontent.com';
const CONDITIONS = {
  StringLike: { [`${DOMAIN}:sub`]: 'repo:acme*' },
  StringEquals: { [`${DOMAIN}:aud`]: 'sts.amazonaws.com' },
};

class OidcStack extends cdk.Stack {
  constructor(scope, id) {
    super(scope, id);
    const provider = new iam.OpenIdConnectProvider(this, 'Github', {
      url: `https://${DOMAIN}`,
      clientIds: ['sts.amazonaws.com'],
    });
    new iam.Role(this, 'DeployRole', {
      assumedBy: new iam.OpenIdConnectPrincipal(provider, CONDITIONS),
    });
    new iam.Role(this, 'OpenRole', {
      assumedBy: new iam.OpenIdConnectPrincipal(provider),
    });
  }
}

const app = new cdk.App({ outdir: process.env.CDK_OUTDIR });
new OidcStack(app, 'Oidc');
app.synth();
