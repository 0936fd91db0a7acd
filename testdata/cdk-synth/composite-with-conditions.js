// CompositePrincipal of a service and an OIDC principal with conditions added later.
const cdk = require('aws-cdk-lib');
const iam = require('aws-cdk-lib/aws-iam');
class AppStack extends cdk.Stack {
  constructor(scope, id) {
    super(scope, id);
    const provider = iam.OpenIdConnectProvider.fromOpenIdConnectProviderArn(
      this,
      'Github',
      `arn:aws:iam::${this.account}:oidc-provider/token.actions.githubusercontent.com`,
    );
    new iam.Role(this, 'SharedRole', {
      assumedBy: new iam.CompositePrincipal(
        new iam.ServicePrincipal('codebuild.amazonaws.com'),
        new iam.OpenIdConnectPrincipal(provider).withConditions({
          StringLike: { 'token.actions.githubusercontent.com:sub': 'repo:acme/app:*' },
          StringEquals: { 'token.actions.githubusercontent.com:aud': 'sts.amazonaws.com' },
        }),
      ),
    });
  }
}

const app = new cdk.App({ outdir: process.env.CDK_OUTDIR });
new AppStack(app, 'AppStack');
app.synth();
