// A CodeBuild project with an inline buildspec and statements added to its
// role; privileged mode off while the buildspec runs Docker.
const cdk = require('aws-cdk-lib');
const iam = require('aws-cdk-lib/aws-iam');
const codebuild = require('aws-cdk-lib/aws-codebuild');

class BuildStack extends cdk.Stack {
  constructor(scope, id) {
    super(scope, id);
    const project = new codebuild.PipelineProject(this, 'Image', {
      environment: { buildImage: codebuild.LinuxBuildImage.STANDARD_7_0, privileged: false },
      buildSpec: codebuild.BuildSpec.fromObject({
        version: '0.2',
        phases: {
          build: { commands: ['docker build -t app .'] },
        },
      }),
    });
    project.addToRolePolicy(new iam.PolicyStatement({ actions: ['ecr:*'], resources: ['*'] }));
  }
}

const app = new cdk.App({ outdir: process.env.CDK_OUTDIR });
new BuildStack(app, 'Build');
app.synth();
