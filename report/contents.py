"""What each report holds: the assignment texts' questions and parts (numbered as in
shared/assignments/), and for each part the run files and the code that answer it.

Paths are relative to the step's run folder runs/<step>/<profile>/. `code` names functions or
classes (module:qualified.name) whose source the part asks to show ("代码截图").
"""
from dataclasses import dataclass, field


@dataclass
class Part:
    label: str                                     # "(2)", as in the assignment text
    task: str                                      # what the part asks, in the text's words
    figures: list = field(default_factory=list)    # [(path, caption: {key} = the run's metrics.json)]
    tables: list = field(default_factory=list)     # [(path of a Markdown table, caption)]
    structures: list = field(default_factory=list)  # printed model structures (model_summary.txt)
    code: list = field(default_factory=list)       # ["module:name"]
    analysis: bool = True                          # the student writes an observation here


@dataclass
class Question:
    title: str
    step: str                                      # the package whose run answers it
    parts: list


@dataclass
class Assignment:
    title: str
    report_stem: str                               # 实验三 -> 实验三_姓名_学号.docx
    code_archive: str                              # format with name, student_id
    questions: list
    support_archive: str = None                    # GAN material (assignment 5)
    model_files: tuple = ()                        # trained models that go into the code archive


MNIST_AUTOENCODER = [
    Part("(1)", "完成数据读写并搭建深度自编码器网络，使用 print 打印网络结构。",
         structures=["no_l2/model_summary.txt"], code=["ae_mnist.model:build_autoencoder"],
         analysis=False),
    Part("(2)", "以二元交叉熵为损失函数、bottleneck 维度为 2 训练模型，给出代码截图及数字 0-9 的原始图片和重建图片。",
         figures=[("no_l2/reconstruction.png", "数字 0-9 的测试图片（上）与重建图片（下）"),
                  ("no_l2/loss_curves.png", "训练与测试损失")],
         code=["ae_mnist.model:compile_autoencoder"]),
    Part("(3)", "噪声因子 0.4，叠加标准高斯白噪声训练降噪自编码器，给出代码截图、关键代码说明和降噪结果。",
         figures=[("no_l2/denoising.png", "原始图片、加噪图片与降噪结果")],
         code=["ae_mnist.data:add_noise"]),
    Part("(4)", "对 latent code 均匀采样并用解码器恢复，展示 latent code 的分布、采样范围和采样结果。",
         figures=[("no_l2/latent_scatter.png", "测试集 latent code 的分布与采样范围"),
                  ("no_l2/latent_grid.png", "均匀采样的 latent code 解码结果")]),
]

ASSIGNMENTS = {
    "a3-2025": Assignment(
        title="《神经网络与深度学习》课程实验作业（三）：自编码器与图像风格迁移",
        report_stem="实验三", code_archive="实验三_{name}_{student_id}.zip",
        questions=[
            Question("1. 基于 MNIST 数据集的自编码器实现", "ae_mnist", MNIST_AUTOENCODER),
            Question("2. 图像风格迁移", "adain", [
                Part("(1)", "基于 pytorch-AdaIN 训练自己的风格迁移模型，用 tensorboard 可视化训练过程。",
                     figures=[("losses.png", "训练过程中的 content / style loss（TensorBoard 记录的同一数据）")],
                     structures=["model_summary.txt"],
                     code=["adain.layers:AdaIN", "adain.model:AdaINModel.compute_losses"]),
                Part("(2)", "总迭代次数不少于 10000 次，给出 10%、50%、80%、100% 时 cornell.jpg × woman_with_hat_matisse.jpg 的结果。",
                     figures=[("stages.png", "迭代 10%、50%、80%、100% 时的风格迁移结果")]),
                Part("(3)", "两张自己与北邮景点的合照，选一种风格进行风格迁移，展示 content、style 与输出。",
                     figures=[("part3/stylized.png", "两张合照（content）、风格图（style）与风格迁移结果")]),
                Part("(4)", "任选 (3) 中一张合照和另一种风格，按学号尾号设置不同 α，展示不同 style 占比的结果。",
                     figures=[("part4/stylized.png", "不同 α 下的风格迁移结果")],
                     code=["adain.stylize:stylize"]),
            ]),
        ]),
    "a3-2023": Assignment(
        title="《神经网络与深度学习》课程实验作业（三）：自编码器与隐空间",
        report_stem="实验三", code_archive="实验三代码_{name}_{student_id}.zip",
        questions=[
            Question("1. 基于 MNIST 数据集的自编码器实现", "ae_mnist", MNIST_AUTOENCODER + [
                Part("(5)", "在 (4) 的基础上训练时使用 L2 正则化，观察并描述结果。",
                     figures=[("l2_comparison.png", "无 L2 与有 L2 正则化的 latent code 分布与解码结果")],
                     tables=[("comparison.md", "有无 L2 正则化的测试指标")]),
            ]),
            Question("2. 隐空间特性探究", "ae_dogs", [
                Part("(1)", "搭建 latent code 为 8×8×16 的自编码器。", structures=["plain/model_summary.txt"],
                     code=["ae_dogs.model:build_autoencoder"], analysis=False),
                Part("(2)", "随机选取 9 张图片，展示原图、重建图像并可视化 latent code。",
                     figures=[("plain/reconstructions.png", "原图、重建图像与 latent code"),
                              ("plain/latent_channels.png", "latent code 的 16 个通道")]),
                Part("(3)", "用 256 张图片的 latent code 拟合高斯分布，采样 9 次送入 decoder。",
                     figures=[("plain/gaussian_samples.png", "高斯分布采样的解码结果")],
                     code=["ae_dogs.latent:fit_gaussian", "ae_dogs.latent:sample_gaussian"]),
                Part("(4)", "在 9 张图片的 latent code 上叠加高斯噪声，观察解码结果。",
                     figures=[("plain/noisy_codes.png", "叠加不同强度噪声后的解码结果")]),
                Part("(5)", "将 latent code 功率归一化后叠加噪声训练正则自编码器（方差 0.05、0.1、0.15），比较结果。",
                     figures=[("samples_by_model.png", "各模型的高斯采样结果"),
                              ("reconstructions_by_model.png", "各模型的重建结果")],
                     tables=[("psnr_table.md", "各模型的 PSNR")],
                     code=["ae_dogs.layers:PowerNormalizeNoise"]),
            ]),
        ]),
    "a5-2023": Assignment(
        title="《神经网络与深度学习》课程实验作业（五）：生成模型基础",
        report_stem="实验五", code_archive="实验五代码_{name}_{student_id}.zip",
        support_archive="实验五支撑材料_{name}_{student_id}.zip",
        # the generator that made the 300 scored images; its raw weights and the epoch snapshots
        # (15 MB each at 64 px) would take the archive to about 80 MB
        model_files=("runs/vae_mnist/{profile}/*/vae.weights.h5",
                     "runs/gan_dogs/{profile}/generator.keras"),
        questions=[
            Question("一、变分自编码器(VAE)", "vae_mnist", [
                Part("(1)-(3)", "隐变量维度为 2，实现标准高斯、混合高斯和其余先验（VampPrior）下的 VAE，绘制聚合后验样本。",
                     figures=[("aggregated_posterior.png", "三种先验下的聚合后验样本与先验等高线"),
                              ("latent_grids.png", "三种先验下隐空间网格的解码结果"),
                              ("prior_samples.png", "从各先验采样的解码结果")],
                     tables=[("comparison.md", "三种先验的测试 -ELBO 与对数似然")],
                     structures=["standard/model_summary.txt"],
                     code=["vae_mnist.model:VAE.elbo_terms", "vae_mnist.priors:MixtureOfGaussians"]),
            ]),
            Question("二、生成对抗网络(GAN)", "gan_dogs", [
                Part("(1)", "迭代次数为 10、30、50 时各随机生成 10 张图像，展示质量随迭代的提升。",
                     figures=[("stages.png", "第 {snapshot_epochs} 个 epoch 生成的图像（同一组随机向量）")],
                     structures=["model_summary.txt"], code=["gan_dogs.model:GAN.train_step"]),
                Part("(2)", "根据公式 (4) 编程实现 FID 函数。", code=["common.fid:fid"], analysis=False),
                Part("(3)", "用训练好的模型生成 300 张图片并测试其 FID。",
                     figures=[("fid.png", "{fid_images_per_set} 张生成图片的 FID，及真实图片（下限）与噪声（上限）"),
                              ("fid_by_epoch.png", "FID 随训练 epoch 的变化"),
                              ("fid_samples.png", "参与 FID 计算的 {fid_images_per_set} 张生成图片中的 30 张")],
                     tables=[("scores.md", "FID、KID 与 precision / recall（同一 Inception 特征）")]),
            ]),
        ]),
}
