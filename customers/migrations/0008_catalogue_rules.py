import django.core.validators
import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('customers', '0007_price_list_scope'),
    ]

    operations = [
        migrations.AddField(
            model_name='customergroup',
            name='catalogue_restricted',
            field=models.BooleanField(default=False, help_text='On: the group may buy only the SKUs and categories its catalogue rules allow. Off: everything but what a rule forbids.', verbose_name='only listed SKUs'),
        ),
        migrations.CreateModel(
            name='CatalogueRule',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('sku', models.CharField(blank=True, help_text='The SKU the rule is about; empty for a category rule.', max_length=64, verbose_name='SKU')),
                ('category', models.CharField(blank=True, help_text='The product category the rule is about; empty for a SKU rule.', max_length=120)),
                ('allowed', models.BooleanField(default=True, help_text='Off: the group may not buy it.')),
                ('min_quantity', models.PositiveIntegerField(blank=True, help_text='Fewest units a line may order.', null=True, validators=[django.core.validators.MinValueValidator(1)], verbose_name='minimum per line')),
                ('case_pack', models.PositiveIntegerField(blank=True, help_text='Lines order whole cases of this many units.', null=True, validators=[django.core.validators.MinValueValidator(1)])),
                ('on_mismatch', models.CharField(choices=[('round_up', 'Round the quantity up'), ('refuse', 'Refuse the order')], default='refuse', help_text="Round a line up to the minimum and whole cases (the order's audit trail says so), or refuse the order.", max_length=10, verbose_name='a quantity that does not fit')),
                ('customer_group', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='catalogue_rules', to='customers.customergroup')),
            ],
            options={
                'ordering': ['customer_group', 'sku', 'category'],
                'constraints': [models.CheckConstraint(condition=models.Q(models.Q(('sku', ''), models.Q(('category', ''), _negated=True)), models.Q(models.Q(('sku', ''), _negated=True), ('category', '')), _connector='OR'), name='catalogue_rule_sku_or_category'), models.UniqueConstraint(fields=('customer_group', 'sku', 'category'), name='catalogue_rule_unique'), models.CheckConstraint(condition=models.Q(('min_quantity__isnull', True), ('min_quantity__gte', 1), _connector='OR'), name='catalogue_rule_minimum_positive'), models.CheckConstraint(condition=models.Q(('case_pack__isnull', True), ('case_pack__gte', 1), _connector='OR'), name='catalogue_rule_case_positive')],
            },
        ),
    ]
