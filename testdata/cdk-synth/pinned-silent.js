// Correct configuration: a pinned trust, scoped permissions, a guarded publish.
const cdk = require('aws-cdk-lib');
const iam = require('aws-cdk-lib/aws-iam');
const codebuild = require('aws-cdk-lib/aws-codebuild');
class AppStack extends cdk.Stack {
  constructor(scope, id) {
    super(scope, id);
    const provider = new iam.OpenIdConnectProvider(this, 'GithubProvider', {
      url: 'https://token.actions.githubusercontent.com',
      clientIds: ['sts.amazonaws.com'],
    });
    const role = new iam.Role(this, 'DeployRole', {
      assumedBy: new iam.WebIdentityPrincipal(provider.openIdConnectProviderArn, {
        StringEquals: {
          'token.actions.githubusercontent.com:aud': 'sts.amazonaws.com',
          'token.actions.githubusercontent.com:sub': 'repo:acme/app:environment:production',
        },
      }),
    });
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['ecs:UpdateService'],
        resources: [`arn:aws:ecs:${this.region}:${this.account}:service/prod/app`],
      }),
    );
    new codebuild.Project(this, 'Release', {
      environment: { privileged: true },
      buildSpec: codebuild.BuildSpec.fromObject({
        version: '0.2',
        phases: {
          build: { 'on-failure': 'ABORT', commands: ['docker build --pull -t app .'] },
          post_build: { commands: ['docker push "$REPO:$CODEBUILD_RESOLVED_SOURCE_VERSION"'] },
        },
      }),
    });
  }
}

const app = new cdk.App({ outdir: process.env.CDK_OUTDIR });
new AppStack(app, 'AppStack');
app.synth();
