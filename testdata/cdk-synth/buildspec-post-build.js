// An inline buildspec that pushes an image in post_build without a guard.
const cdk = require('aws-cdk-lib');
const codebuild = require('aws-cdk-lib/aws-codebuild');
class AppStack extends cdk.Stack {
  constructor(scope, id) {
    super(scope, id);
    new codebuild.Project(this, 'ImageBuild', {
      environment: { privileged: true },
      buildSpec: codebuild.BuildSpec.fromObject({
        version: '0.2',
        phases: {
          build: { commands: ['docker build -t app .'] },
          post_build: { commands: ['docker push "$REPO:latest"'] },
        },
      }),
    });
  }
}

const app = new cdk.App({ outdir: process.env.CDK_OUTDIR });
new AppStack(app, 'AppStack');
app.synth();
